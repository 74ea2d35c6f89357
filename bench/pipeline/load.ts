/**
 * The load generator: a small HTTP client on `node:http` with keep-alive connections (the
 * built-in `fetch` costs several times more CPU per request, and this process shares the machine
 * with the platform), the accounts the payments are drawn on, and the payments themselves.
 */
import { Agent, request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { LatencySamples } from '../support/latency.ts';
import { formatCount, progress, sleep } from '../support/progress.ts';

export interface ApiResponse {
  status: number;
  body: string;
}

/** Requests go round-robin over the platform processes' APIs, as a load balancer would send them. */
export class ApiClient {
  readonly #bases: URL[];
  readonly #authorization: string;
  readonly #agent: Agent;
  #next = 0;

  constructor(urls: readonly string[], apiKey: string, maxSockets: number) {
    this.#bases = urls.map((url) => new URL(url));
    this.#authorization = `Bearer ${apiKey}`;
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(method: string, path: string, body: string | undefined, headers: Record<string, string> = {}): Promise<ApiResponse> {
    const base = this.#bases[this.#next++ % this.#bases.length]!;
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          host: base.hostname,
          port: base.port,
          method,
          path,
          agent: this.#agent,
          headers: {
            authorization: this.#authorization,
            ...(body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
            ...headers,
          },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}

/** A valid IBAN at another bank (France): payments to it settle over RTGS. */
const externalCreditor = { name: 'Bob Martin', account: 'FR1420041010050500013M02606', agent: 'BNPAFRPP', country: 'FR' };

/**
 * The payments of a run: debtors drawn round-robin from `accounts` (so load spreads over every
 * partition, each account keyed to one), `internalShare` of them paid to another account of this
 * bank (settled by the ledger alone), the rest to a bank abroad over RTGS. Each request has an
 * Idempotency-Key of its own.
 */
export class PaymentMaker {
  readonly #accounts: readonly string[];
  readonly #internalEvery: number;
  readonly #run = randomBytes(4).toString('hex');
  #seq = 0;

  constructor(accounts: readonly string[], internalShare: number) {
    this.#accounts = accounts;
    this.#internalEvery = internalShare > 0 ? Math.round(1 / internalShare) : 0;
  }

  next(): { body: string; idempotencyKey: string } {
    const seq = this.#seq++;
    const debtor = this.#accounts[seq % this.#accounts.length]!;
    const internal = this.#internalEvery > 0 && seq % this.#internalEvery === 0;
    const creditor = internal
      ? { name: 'Carol Local', account: this.#accounts[(seq + 1) % this.#accounts.length]!, agent: 'PAYSDEFFXXX', country: 'DE' }
      : externalCreditor;
    const body = JSON.stringify({
      amount: '1.00',
      currency: 'EUR',
      debtor: { name: 'Alice Example', account: debtor },
      creditor,
      remittanceInformation: `bench ${seq}`,
    });
    return { body, idempotencyKey: `${this.#run}-${seq}` };
  }
}

/** Opens `count` EUR accounts, each funded with `deposit`, `concurrency` at a time; returns their IBANs. */
export async function openAccounts(client: ApiClient, count: number, deposit: string, concurrency: number): Promise<string[]> {
  const ibans: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      const opened = await client.send('POST', '/v1/accounts', JSON.stringify({ name: `Bench ${index}`, currency: 'EUR' }));
      if (opened.status !== 201) throw new Error(`opening an account: HTTP ${opened.status} ${opened.body}`);
      const { iban } = JSON.parse(opened.body) as { iban: string };
      const funded = await client.send('POST', `/v1/accounts/${iban}/deposits`, JSON.stringify({ amount: deposit }));
      if (funded.status !== 201) throw new Error(`funding ${iban}: HTTP ${funded.status} ${funded.body}`);
      ibans.push(iban);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ibans;
}

/** What the load generator saw: accepted (202) and refused requests, and the API latency of each accepted one. */
export class LoadTally {
  accepted = 0;
  refused = 0;
  failed = 0;
  readonly firstRefusals: string[] = [];
  /** Request due (fixed rate: its scheduled time) → 202 received, in ms, for requests in the measured window. */
  readonly apiLatency = new LatencySamples();
  /** The same for every request, warm-up included: what there is of a run abandoned during its warm-up. */
  readonly apiLatencyAll = new LatencySamples();

  note(response: ApiResponse | Error, latencyMs: number, measured: boolean): void {
    if (response instanceof Error) {
      this.failed++;
      if (this.firstRefusals.length < 5) this.firstRefusals.push(response.message);
    } else if (response.status === 202) {
      this.accepted++;
      this.apiLatencyAll.record(latencyMs);
      if (measured) this.apiLatency.record(latencyMs);
    } else {
      this.refused++;
      if (this.firstRefusals.length < 5) this.firstRefusals.push(`HTTP ${response.status} ${response.body.slice(0, 300)}`);
    }
  }
}

async function submit(client: ApiClient, maker: PaymentMaker): Promise<ApiResponse | Error> {
  const { body, idempotencyKey } = maker.next();
  try {
    return await client.send('POST', '/v1/payments', body, { 'idempotency-key': idempotencyKey });
  } catch (error) {
    return error as Error;
  }
}

/**
 * Closed loop: `clients` concurrent clients, each submitting a payment as soon as its previous one
 * was answered, as long as fewer than `maxInFlight` accepted payments have not yet reached a
 * terminal status (`terminalCount()`, refreshed by the caller's poll of the payments table).
 * Without that window the API would accept payments faster than the pipeline finishes them and
 * the backlog would grow for as long as the phase lasts: the rate measured would not be sustained.
 */
export function closedLoop(
  client: ApiClient,
  maker: PaymentMaker,
  options: { clients: number; maxInFlight: number; terminalCount: () => number; measuredFromMs: number },
): { tally: LoadTally; stop: () => Promise<void> } {
  const tally = new LoadTally();
  let running = true;
  const worker = async () => {
    while (running) {
      if (tally.accepted - options.terminalCount() >= options.maxInFlight) {
        await sleep(10);
        continue;
      }
      const startedMs = performance.now();
      const response = await submit(client, maker);
      tally.note(response, performance.now() - startedMs, startedMs >= options.measuredFromMs);
      if (response instanceof Error) await sleep(100);
    }
  };
  const workers = Promise.all(Array.from({ length: options.clients }, worker));
  return {
    tally,
    stop: async () => {
      running = false;
      await workers;
    },
  };
}

/** How well the generator kept to the schedule of an open-loop run. */
export interface PacedRun {
  sent: number;
  /** Largest delay between a request's due time and the moment it was sent. */
  maxSendLagMs: number;
  seconds: number;
  /** Why the generator stopped before the end: the platform had fallen too far behind to go on. */
  abandoned?: string;
}

/**
 * Open loop: request i is due at start + i / ratePerSec and is sent when due, whether or not
 * earlier ones have been answered (up to the agent's sockets; beyond, it waits for a socket, and
 * that wait counts in its latency). Latency runs from the due time, not the send time, so a
 * platform that slows down is not hidden by a generator that slows down with it (coordinated
 * omission). Requests due before `measuredFromMs` are warm-up and not sampled. Once
 * `fallenBehind` names a reason (the platform is far behind the rate), sending stops: going on
 * would only grow a backlog that takes minutes to drain and measure nothing new.
 */
export async function openLoop(
  client: ApiClient,
  maker: PaymentMaker,
  tally: LoadTally,
  options: { ratePerSec: number; durationMs: number; measuredFromMs: number; fallenBehind: (awaitingAnswer: number) => string | undefined },
): Promise<PacedRun> {
  const total = Math.floor((options.ratePerSec * options.durationMs) / 1000);
  const startMs = performance.now();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let maxSendLagMs = 0;
  let reportAtMs = startMs + 5_000;
  let abandoned: string | undefined;
  while (sent < total) {
    const nowMs = performance.now();
    abandoned = options.fallenBehind(inFlight.size);
    if (abandoned) {
      progress(`fixed-rate: stopped sending after ${((nowMs - startMs) / 1000).toFixed(1)} s: ${abandoned}`);
      break;
    }
    while (sent < total && startMs + (sent * 1000) / options.ratePerSec <= nowMs) {
      const dueMs = startMs + (sent * 1000) / options.ratePerSec;
      maxSendLagMs = Math.max(maxSendLagMs, nowMs - dueMs);
      sent++;
      const pending: Promise<void> = submit(client, maker).then((response) => {
        tally.note(response, performance.now() - dueMs, dueMs >= options.measuredFromMs);
        inFlight.delete(pending);
      });
      inFlight.add(pending);
    }
    if (nowMs >= reportAtMs) {
      progress(`fixed-rate:   ${formatCount(sent)} sent, ${formatCount(tally.accepted)} accepted, ${inFlight.size} awaiting an answer`);
      reportAtMs += 5_000;
    }
    await sleep(2);
  }
  const seconds = (performance.now() - startMs) / 1000;
  await Promise.all(inFlight);
  return { sent, maxSendLagMs, seconds, ...(abandoned ? { abandoned } : {}) };
}
