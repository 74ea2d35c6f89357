/**
 * `npm run bench -- http-floor`: what one HTTP exchange between two processes costs on this machine
 * when nothing stands behind it, the part of a payment's cost no code of paystream can remove.
 *
 * A payment over RTGS crosses HTTP three times: the customer's POST to the API, the RTGS gateway's
 * pacs.008 to the network, and the network's pacs.002 back to the gateway. This bench forks a bare
 * Fastify server (one route, JSON body parsed, 202 answered: server-process.ts) and drives it closed
 * loop from this process, with the same keep-alive `node:http` client the pipeline bench drives the
 * API with, or with `fetch` (undici), the RTGS gateway's client. It reports exchanges per second and
 * the CPU each exchange took: the server, the client, and the whole machine (the kernel's loopback
 * work included). The floor a payment inherits is three exchanges of the machine's cost; BENCHMARKS.md
 * puts it beside the aims.
 */
import { fork } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import { parseArgs } from 'node:util';
import { Agent as UndiciAgent, request as undiciRequest } from 'undici';
import { CpuAccount, cpuBetween } from '../support/cpu.ts';
import { BenchUsageError, integerOption } from '../support/environment.ts';
import { LatencySamples } from '../support/latency.ts';
import { formatCount, progress, sleep } from '../support/progress.ts';
import type { FloorServerMessage } from './server-process.ts';

export const usage = `usage: npm run bench -- http-floor [options]

  --client http|fetch|undici
                       node:http with a keep-alive agent (the pipeline bench's client), fetch, or
                       undici's request with a keep-alive agent (default http)
  --clients N          concurrent requests, closed loop (default 64)
  --warmup-seconds N   left out of the measurement (default 10)
  --seconds N          the measured window (default 20)
  --body-bytes N       size of the JSON body sent (default 300, about a payment request)
Progress goes to stderr; the last line on stdout is the result, one JSON object.`;

interface FloorOptions {
  client: 'http' | 'fetch' | 'undici';
  clients: number;
  warmupSeconds: number;
  seconds: number;
  bodyBytes: number;
}

export async function runHttpFloor(argv: string[]): Promise<object> {
  const options = parseOptions(argv);
  const server = fork(new URL('./server-process.ts', import.meta.url), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      server.once('message', (message: FloorServerMessage) => resolve(message.port));
      server.once('exit', (code) => reject(new Error(`the floor server exited (${code}) before it was ready`)));
    });
    const body = JSON.stringify({ amount: '1.00', currency: 'EUR', padding: 'x'.repeat(Math.max(0, options.bodyBytes - 40)) });
    const send =
      options.client === 'http'
        ? httpSender(port, options.clients)
        : options.client === 'fetch'
          ? fetchSender(port)
          : undiciSender(port, options.clients);
    let completed = 0;
    let measuring = false;
    const latency = new LatencySamples();
    let stop = false;
    const loops = Array.from({ length: options.clients }, async () => {
      while (!stop) {
        const startedAt = performance.now();
        const status = await send(body);
        if (status !== 202) throw new Error(`the floor server answered ${status}`);
        if (measuring) {
          completed++;
          latency.record(performance.now() - startedAt);
        }
      }
    });
    progress(
      `http-floor: ${options.client} client, ${options.clients} concurrent, ${Buffer.byteLength(body)}-byte bodies; warming up ${options.warmupSeconds} s`,
    );
    await sleep(options.warmupSeconds * 1000);
    const account = new CpuAccount();
    const components = { server: [server.pid!], client: [process.pid] };
    const before = account.sample(components);
    const startedAt = performance.now();
    measuring = true;
    await sleep(options.seconds * 1000);
    measuring = false;
    const seconds = (performance.now() - startedAt) / 1000;
    const cpu = cpuBetween(before, account.sample(components));
    stop = true;
    await Promise.all(loops);
    const perExchangeUs = (cpuMs: number) => Math.round((cpuMs * 1000) / completed);
    const exchangesPerSec = Math.round(completed / seconds);
    const machineUs = perExchangeUs(cpu['machine (all)']!);
    const { p50Ms, p99Ms } = latency.summary();
    progress(
      `http-floor: ${formatCount(exchangesPerSec)} exchanges/s; CPU per exchange: server ${perExchangeUs(cpu.server!)} µs, client ${perExchangeUs(cpu.client!)} µs, ` +
        `rest of machine ${perExchangeUs(cpu['rest of machine']!)} µs; machine ${machineUs} µs (three exchanges a payment: at most ${formatCount(2e6 / (3 * machineUs))} payments/s on 2 cores with nothing else running)`,
    );
    return {
      bench: 'http-floor',
      client: options.client,
      exchangesPerSec,
      serverCpuUs: perExchangeUs(cpu.server!),
      clientCpuUs: perExchangeUs(cpu.client!),
      machineCpuUs: machineUs,
      p50Ms: round(p50Ms),
      p99Ms: round(p99Ms),
    };
  } finally {
    server.kill('SIGTERM');
  }
}

function httpSender(port: number, maxSockets: number): (body: string) => Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets });
  return (body) =>
    new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/exchange',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
}

function fetchSender(port: number): (body: string) => Promise<number> {
  const url = `http://127.0.0.1:${port}/exchange`;
  return async (body) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await response.arrayBuffer();
    return response.status;
  };
}

function undiciSender(port: number, connections: number): (body: string) => Promise<number> {
  const dispatcher = new UndiciAgent({ connections });
  const url = `http://127.0.0.1:${port}/exchange`;
  return async (body) => {
    const response = await undiciRequest(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, dispatcher });
    await response.body.dump();
    return response.statusCode;
  };
}

function parseOptions(argv: string[]): FloorOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      client: { type: 'string', default: 'http' },
      clients: { type: 'string', default: '64' },
      'warmup-seconds': { type: 'string', default: '10' },
      seconds: { type: 'string', default: '20' },
      'body-bytes': { type: 'string', default: '300' },
    },
    strict: true,
  });
  if (values.client !== 'http' && values.client !== 'fetch' && values.client !== 'undici')
    throw new BenchUsageError('--client must be http, fetch or undici');
  return {
    client: values.client,
    clients: integerOption('--clients', values.clients, 1),
    warmupSeconds: integerOption('--warmup-seconds', values['warmup-seconds'], 0),
    seconds: integerOption('--seconds', values.seconds, 1),
    bodyBytes: integerOption('--body-bytes', values['body-bytes'], 1),
  };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
