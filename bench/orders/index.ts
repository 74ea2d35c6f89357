/**
 * `npm run bench -- orders [--engine kafka|embedded|both] [options]`: the choreographed order flow
 * (src/apps/orders) end to end over HTTP on the whole platform, on each engine: orders completed
 * (SHIPPED) per second in a closed loop, then a fixed rate at half of that, where each order's
 * timeline gives the latency of every step of the choreography (the time from one of the order's
 * events to the next) and of the whole order (OrderPlaced → ShipmentCreated).
 */
import { parseArgs } from 'node:util';
import {
  BenchUsageError,
  Cleanup,
  databaseServerUrlFromEnvironment,
  integerOption,
  kafkaBrokersFromEnvironment,
} from '../support/environment.ts';
import { machineBusyCpuMs } from '../support/cpu.ts';
import { LatencySamples, roundMs } from '../support/latency.ts';
import { progress, sleep } from '../support/progress.ts';
import { ApiClient, openAccounts } from '../pipeline/load.ts';
import { PipelineRig } from '../pipeline/rig.ts';

export const usage = `usage: npm run bench -- orders [options]

  --engine E              kafka, embedded or both (default both)
  --clients N             closed loop: clients, each placing an order and waiting until it ends (default 16)
  --warmup-seconds N      closed loop: warm-up before the measured window (default 5)
  --seconds N             closed loop: the measured window (default 20)
  --rate-seconds N        fixed rate (half the closed loop's throughput): duration (default 20)
  --customers N           customer accounts, opened and funded first (default 40)

environment (kafka engine): KAFKA_BROKERS, DATABASE_URL as for the pipeline bench.
Progress goes to stderr; the last line on stdout is the result, one JSON object.`;

interface OrdersOptions {
  engines: ('kafka' | 'embedded')[];
  clients: number;
  warmupSeconds: number;
  seconds: number;
  rateSeconds: number;
  customers: number;
}

export interface OrdersEngineResult {
  engine: 'kafka' | 'embedded';
  /** Closed loop: orders that reached SHIPPED per second in the measured window. */
  ordersPerSec: number;
  /** Closed loop: the machine's busy CPU (every process) per order shipped in the window. */
  machineCpuMsPerOrder: number | null;
  /** Fixed rate: what was asked and what was placed. */
  ratePerSec: number;
  achievedPerSec: number;
  /** Fixed rate: the gap between consecutive events of an order, every step of every order. */
  stepP50Ms: number | null;
  stepP99Ms: number | null;
  /** Fixed rate: OrderPlaced → ShipmentCreated. */
  orderP50Ms: number | null;
  orderP99Ms: number | null;
  /** Placed orders not SHIPPED at the end (should be 0: every order is one that ships). */
  unfinished: number;
}

export async function runOrders(argv: string[]): Promise<{ bench: 'orders'; results: OrdersEngineResult[] }> {
  const options = parseOptions(argv);
  const results: OrdersEngineResult[] = [];
  for (const engine of options.engines) {
    const cleanup = new Cleanup();
    const onSignal = () => void cleanup.run().finally(() => process.exit(130));
    process.once('SIGINT', onSignal);
    try {
      results.push(await measure(engine, options, cleanup));
    } finally {
      await cleanup.run();
      process.off('SIGINT', onSignal);
    }
  }
  return { bench: 'orders', results };
}

async function measure(engine: 'kafka' | 'embedded', options: OrdersOptions, cleanup: Cleanup): Promise<OrdersEngineResult> {
  progress(`orders bench on ${engine}: starting the platform`);
  const rig = await PipelineRig.open(
    {
      engine,
      kafkaBrokers: kafkaBrokersFromEnvironment(),
      databaseServerUrl: databaseServerUrlFromEnvironment(),
      rtgsLatencyMs: 0,
      rtgsMaxBatchRecords: undefined,
      poolSize: 20,
      logLevel: 'warn',
      services: [],
      cpuProfileDir: undefined,
      replicas: 1,
    },
    cleanup,
  );
  const client = new ApiClient(rig.urls, rig.apiKey, 256);
  cleanup.add('closing the HTTP client', async () => client.close());
  const customers = await openAccounts(client, options.customers, '1000000.00', 8);
  const [merchant] = await openAccounts(client, 1, '1.00', 1);
  const stocked = await client.send('PUT', '/v1/inventory/bench-widget', JSON.stringify({ quantity: 1_000_000_000 }));
  if (stocked.status !== 200) throw new Error(`setting stock: HTTP ${stocked.status} ${stocked.body}`);
  let seq = 0;
  const place = async (): Promise<string> => {
    const customer = customers[seq++ % customers.length]!;
    const body = JSON.stringify({
      customerAccount: customer,
      merchantAccount: merchant,
      currency: 'EUR',
      items: [{ sku: 'bench-widget', quantity: 1, unitPrice: '1.00' }],
      destinationCountry: 'DE',
    });
    const answer = await client.send('POST', '/v1/orders', body);
    if (answer.status !== 202) throw new Error(`placing an order: HTTP ${answer.status} ${answer.body}`);
    return (JSON.parse(answer.body) as { orderId: string }).orderId;
  };
  const view = async (orderId: string) =>
    JSON.parse((await client.send('GET', `/v1/orders/${orderId}`, undefined)).body) as {
      status: string;
      timeline: { type: string; at: string }[];
    };
  // Each client polls its order with a backoff (50, 100, then every 200 ms): polling every 25 ms,
  // as this bench first did, made 16 clients send some 600 GETs a second, so the closed loop
  // measured mostly the bench's own reads. The latencies come from the timelines, not from polling.
  const ended = async (orderId: string) => {
    for (let pauseMs = 50; ; pauseMs = Math.min(pauseMs * 2, 200)) {
      const order = await view(orderId);
      if (order.status !== 'PLACED') return order;
      await sleep(pauseMs);
    }
  };

  // Closed loop: each client places an order and waits for its end before the next.
  progress(`closed loop: ${options.clients} clients, ${options.warmupSeconds} s warm-up, ${options.seconds} s measured`);
  const startMs = Date.now();
  const windowStartMs = startMs + options.warmupSeconds * 1000;
  const windowEndMs = windowStartMs + options.seconds * 1000;
  let shipped = 0;
  // The machine's busy CPU over the measured window, read by timers at its edges: per order shipped
  // it is everything an order costs here (the platform, the broker, PostgreSQL, the RTGS simulator
  // and this driver's requests), which bounds what two cores can ship with this code.
  let cpuAtWindowStartMs = 0;
  let cpuAtWindowEndMs = 0;
  const edges = [
    setTimeout(() => (cpuAtWindowStartMs = machineBusyCpuMs()), windowStartMs - startMs),
    setTimeout(() => (cpuAtWindowEndMs = machineBusyCpuMs()), windowEndMs - startMs),
  ];
  await Promise.all(
    Array.from({ length: options.clients }, async () => {
      while (Date.now() < windowEndMs) {
        const order = await ended(await place());
        const now = Date.now();
        if (order.status === 'SHIPPED' && now >= windowStartMs && now <= windowEndMs) shipped += 1;
      }
    }),
  );
  for (const edge of edges) clearTimeout(edge);
  const ordersPerSec = shipped / options.seconds;
  const machineCpuMsPerOrder = shipped === 0 ? null : Math.round((cpuAtWindowEndMs - cpuAtWindowStartMs) / shipped);
  progress(`closed loop: ${ordersPerSec.toFixed(1)} orders shipped/s, ${machineCpuMsPerOrder} ms of machine CPU per order`);

  // Fixed rate at half of it: every order's timeline gives its steps' latencies.
  const ratePerSec = Math.max(1, Math.floor(ordersPerSec / 2));
  progress(`fixed rate: ${ratePerSec} orders/s for ${options.rateSeconds} s`);
  const placed: Promise<string>[] = [];
  const rateStartMs = Date.now();
  const total = ratePerSec * options.rateSeconds;
  for (let index = 0; index < total; index++) {
    const dueMs = rateStartMs + (index * 1000) / ratePerSec;
    if (dueMs > Date.now()) await sleep(dueMs - Date.now());
    placed.push(place());
  }
  const orderIds = await Promise.all(placed);
  const achievedPerSec = orderIds.length / Math.max(options.rateSeconds, (Date.now() - rateStartMs) / 1000);
  const steps = new LatencySamples();
  const orders = new LatencySamples();
  let unfinished = 0;
  const deadlineMs = Date.now() + 120_000;
  for (const orderId of orderIds) {
    // The order's last event lands on its timeline just after its status moves: wait for both.
    const done = (order: Awaited<ReturnType<typeof view>>) =>
      order.status !== 'PLACED' && (order.status !== 'SHIPPED' || order.timeline.some((entry) => entry.type === 'ShipmentCreated'));
    let order = await view(orderId);
    while (!done(order) && Date.now() < deadlineMs) {
      await sleep(50);
      order = await view(orderId);
    }
    const times = order.timeline.map((entry) => Date.parse(entry.at)).sort((a, b) => a - b);
    for (let index = 1; index < times.length; index++) steps.record(times[index]! - times[index - 1]!);
    const placedAt = order.timeline.find((entry) => entry.type === 'OrderPlaced');
    const shippedAt = order.timeline.find((entry) => entry.type === 'ShipmentCreated');
    if (order.status !== 'SHIPPED') unfinished += 1;
    else if (placedAt && shippedAt) orders.record(Date.parse(shippedAt.at) - Date.parse(placedAt.at));
  }
  const step = steps.summary();
  const whole = orders.summary();
  const result: OrdersEngineResult = {
    engine,
    ordersPerSec: Math.round(ordersPerSec * 10) / 10,
    machineCpuMsPerOrder,
    ratePerSec,
    achievedPerSec: Math.round(achievedPerSec * 10) / 10,
    stepP50Ms: step.count ? roundMs(step.p50Ms) : null,
    stepP99Ms: step.count ? roundMs(step.p99Ms) : null,
    orderP50Ms: whole.count ? roundMs(whole.p50Ms) : null,
    orderP99Ms: whole.count ? roundMs(whole.p99Ms) : null,
    unfinished,
  };
  progress(`${engine}: ${JSON.stringify(result)}`);
  return result;
}

function parseOptions(argv: string[]): OrdersOptions {
  let values;
  try {
    values = parseArgs({
      args: argv,
      options: {
        engine: { type: 'string', default: 'both' },
        clients: { type: 'string', default: '16' },
        'warmup-seconds': { type: 'string', default: '5' },
        seconds: { type: 'string', default: '20' },
        'rate-seconds': { type: 'string', default: '20' },
        customers: { type: 'string', default: '40' },
      },
    }).values;
  } catch (error) {
    throw new BenchUsageError((error as Error).message);
  }
  const engines = values.engine === 'both' ? (['embedded', 'kafka'] as const) : [values.engine];
  for (const engine of engines) if (engine !== 'kafka' && engine !== 'embedded') throw new BenchUsageError(`unknown engine ${engine}`);
  return {
    engines: [...engines] as ('kafka' | 'embedded')[],
    clients: integerOption('--clients', values.clients, 1),
    warmupSeconds: integerOption('--warmup-seconds', values['warmup-seconds'], 0),
    seconds: integerOption('--seconds', values.seconds, 1),
    rateSeconds: integerOption('--rate-seconds', values['rate-seconds'], 1),
    customers: integerOption('--customers', values.customers, 1),
  };
}
