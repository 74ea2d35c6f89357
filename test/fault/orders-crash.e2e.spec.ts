/**
 * The order flow's crash test (issue 15 part 3): the platform with the order flow runs as real
 * processes; a client places hundreds of orders over HTTP (to ship, out of stock, without funds,
 * to a country the carrier refuses), each with an Idempotency-Key and repeated until answered,
 * while processes are killed with `kill -9` at seeded random moments and started again.
 * Afterwards, over every order the database holds (each planned order placed once): each ended SHIPPED or CANCELLED as its kind demands, a
 * cancelled order holds no money and no stock, a shipped one was paid and reserved once, no
 * compensation ran twice, stock is what was set less what shipped, and the ledger's invariants and
 * balances agree.
 *
 * PAYSTREAM_CRASH_SEED=<seed> replays a run's plan and kill schedule; PAYSTREAM_CRASH_KEEP_LOGS=1
 * keeps the processes' logs (kept anyway when the test fails).
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SqlRunner } from '../../src/backbone/storage/database.ts';
import { PostgresDatabase } from '../../src/backbone/storage-postgres/postgres-database.ts';
import { PgliteDatabase } from '../../src/backbone/storage-pglite/pglite-database.ts';
import { serviceNames } from '../../src/runtime/service-catalog.ts';
import { orderParticipantNames } from '../../src/apps/orders/index.ts';
import { seededRandom, type Random } from '../../src/backbone/testing/seeded-random.ts';
import { hasKafka, hasPostgres } from '../support/engines.ts';
import { assertLedgerInvariants } from '../support/ledger-invariants.ts';
import { runChaos } from './payments-crash-chaos.ts';
import { sleep } from './payments-crash-processes.ts';
import { crashWorkspace, startCrashPlatform, type CrashEngine, type CrashLayout } from './crash-platform.ts';

type OrderKind = 'ship' | 'out-of-stock' | 'no-funds' | 'carrier';
const expectedEnd: Record<OrderKind, { status: string; code: string | null }> = {
  ship: { status: 'SHIPPED', code: null },
  'out-of-stock': { status: 'CANCELLED', code: 'OUT_OF_STOCK' },
  'no-funds': { status: 'CANCELLED', code: 'PAYMENT_FAILED' },
  carrier: { status: 'CANCELLED', code: 'SHIPMENT_FAILED' },
};

interface EngineRun {
  engine: CrashEngine;
  skipReason: string | undefined;
  layout: CrashLayout;
  orders: number;
  ratePerSecond: number;
  chaos: { maxKills: number; pauseMs: { min: number; max: number }; minUpMs: number };
  timeoutMs: number;
}

// On Kafka a restarted process waits ~30 s for its groups to rebalance (see the payments crash
// test), so four kills, one per process; the embedded engine re-opens PGlite in ~10 s.
const otherParticipants = orderParticipantNames.filter((name) => name !== 'orders' && name !== 'orders-payment');
const engineRuns: EngineRun[] = [
  {
    engine: 'kafka',
    skipReason: hasKafka() && hasPostgres() ? undefined : 'needs Kafka and PostgreSQL',
    layout: [
      // The payment participant calls the payment API of its own process (ORDERS_PAYMENTS_API_URL unset).
      { name: 'intake', only: ['gateway', 'orders', 'orders-payment'] },
      { name: 'core', only: serviceNames.filter((service) => service !== 'gateway') },
      { name: 'participants', only: otherParticipants },
    ],
    orders: 400,
    ratePerSecond: 20,
    // Four kills: the first round kills every process once (the simulator included), in a seeded order.
    chaos: { maxKills: 4, pauseMs: { min: 3_000, max: 4_000 }, minUpMs: 5_000 },
    timeoutMs: 300_000,
  },
  {
    engine: 'embedded',
    skipReason: undefined,
    layout: [{ name: 'platform', only: undefined }],
    orders: 200,
    ratePerSecond: 15,
    chaos: { maxKills: 3, pauseMs: { min: 2_000, max: 4_000 }, minUpMs: 2_000 },
    timeoutMs: 300_000,
  },
];

const bankBic = 'PAYSDEFFXXX';
const richDeposit = '1000000.00';

for (const run of engineRuns) {
  describe.skipIf(run.skipReason !== undefined)(
    `orders crash test on ${run.engine}${run.skipReason ? ` (skipped: ${run.skipReason})` : ''}`,
    () => {
      const seed = Number(process.env.PAYSTREAM_CRASH_SEED ?? randomBytes(4).readUInt32BE(0));
      const apiKey = `crash-${randomBytes(16).toString('hex')}`;
      const workspace = crashWorkspace(`orders-crash-${run.engine}`);
      const { processes } = workspace;

      it(
        `kill -9 during ${run.orders} orders: every order ends, nothing is lost, no compensation runs twice`,
        { timeout: run.timeoutMs },
        async () => {
          const startedAtMs = Date.now();
          const log = (message: string) =>
            console.log(`[orders crash ${run.engine} +${((Date.now() - startedAtMs) / 1000).toFixed(1)}s] ${message}`);
          const { workDir } = workspace;
          log(`seed ${seed} (replay with PAYSTREAM_CRASH_SEED=${seed}); logs in ${workDir}`);
          const random = seededRandom(seed);
          const { env, simulator, platform, urlServing } = await startCrashPlatform(workspace, {
            engine: run.engine,
            layout: run.layout,
            apiKey,
            bankBic,
            callbackToken: randomBytes(24).toString('base64url'),
            logLevel: 'warn',
            databaseName: 'orders_crash',
            namespacePrefix: 'ocrash',
            startTimeoutMs: 120_000,
            log,
          });

          const call = apiCaller(apiKey);
          const ledgerUrl = urlServing('ledger');
          const open = async (name: string, deposit: string | undefined) => {
            const opened = await call('POST', `${ledgerUrl}/v1/accounts`, { name, currency: 'EUR' });
            expect(opened.status, JSON.stringify(opened.body)).toBe(201);
            if (deposit)
              expect((await call('POST', `${ledgerUrl}/v1/accounts/${opened.body.iban}/deposits`, { amount: deposit })).status).toBe(201);
            return opened.body.iban as string;
          };
          const customers = [
            await open('Crash Customer 0', richDeposit),
            await open('Crash Customer 1', richDeposit),
            await open('Crash Customer 2', richDeposit),
          ];
          const poor = await open('Crash Customer Poor', undefined);
          const merchant = await open('Crash Merchant', undefined);
          const stockUrl = urlServing('orders-inventory');
          const initialStock = run.orders * 3;
          expect((await call('PUT', `${stockUrl}/v1/inventory/widget`, { quantity: initialStock })).status).toBe(200);

          const plan = planOrders(random, run.orders, customers, poor, merchant);
          let loading = true;
          const chaos = runChaos(
            { random, platform, simulator, ...run.chaos, downMs: { min: 100, max: 1_500 }, startedAtMs },
            () => loading,
          );
          const placed = new Map<string, OrderKind>();
          let lost = 0;
          try {
            const orderUrl = urlServing('orders');
            const loadStartedAt = Date.now();
            let next = 0;
            await Promise.all(
              Array.from({ length: 8 }, async () => {
                while (next < plan.length) {
                  const index = next++;
                  const due = loadStartedAt + (index * 1000) / run.ratePerSecond;
                  if (due > Date.now()) await sleep(due - Date.now());
                  const order = plan[index]!;
                  // Each order has an Idempotency-Key: a request whose answer is lost (the process was
                  // killed) is repeated until it is answered, and places the order once.
                  const answer = await placeUntilAnswered(() =>
                    call('POST', `${orderUrl}/v1/orders`, order.body, { 'idempotency-key': `${seed}-order-${index}` }),
                  );
                  if (answer?.status === 202) placed.set(answer.body.orderId, order.kind);
                  else lost += 1;
                }
              }),
            );
          } finally {
            loading = false;
          }
          const kills = await chaos;
          log(
            `placed ${placed.size} orders, ${lost} never answered; kills: ${kills.map((kill) => `${kill.victim}@${(kill.atMs / 1000).toFixed(1)}s`).join(', ')}`,
          );
          expect(lost, 'orders never answered 202 (repeated with their Idempotency-Key for two minutes)').toBe(0);
          expect(placed.size, 'one order per planned order').toBe(run.orders);

          // Every taken order ends: read through the API while the platform runs.
          const orderUrl = urlServing('orders');
          const deadline = Date.now() + 150_000;
          const ends = new Map<string, { status: string; code: string | null }>();
          for (const orderId of placed.keys()) {
            for (;;) {
              const view = await call('GET', `${orderUrl}/v1/orders/${orderId}`).catch(() => undefined);
              if (view?.status === 200 && view.body.status !== 'PLACED') {
                ends.set(orderId, { status: view.body.status, code: view.body.cancellation?.code ?? null });
                break;
              }
              if (Date.now() > deadline) throw new Error(`order ${orderId} did not end: ${JSON.stringify(view?.body)}`);
              await sleep(200);
            }
          }
          log(`every placed order ended`);
          for (const [orderId, kind] of placed) expect(ends.get(orderId), `order ${orderId} (${kind})`).toEqual(expectedEnd[kind]);
          const balances = new Map<string, bigint>();
          for (const account of [...customers, poor, merchant]) {
            const view = await call('GET', `${ledgerUrl}/v1/accounts/${account}`);
            expect(view.body.reserved).toBe('0.00');
            balances.set(account, minor(view.body.balance));
          }

          const check = async (db: SqlRunner) => {
            await assertOrderInvariants(db, {
              initialStock,
              balances,
              customers: [...customers, poor],
              merchant,
              richDeposit: minor(richDeposit),
            });
            await assertLedgerInvariants(db);
          };
          if (run.engine === 'kafka') {
            const db = new PostgresDatabase({ connectionString: workspace.database!.url, poolSize: 2 });
            try {
              await eventuallyAllEnded(db);
              await check(db);
            } finally {
              await db.close();
            }
          } else {
            await platform[0]!.stop();
            const db = await PgliteDatabase.open({ dataDir: env.PAYSTREAM_DATA_DIR! });
            try {
              await check(db);
            } finally {
              await db.close();
            }
          }
          const crashes = processes.flatMap((child) => child.unexpectedExits);
          expect(crashes, 'processes that exited on their own').toEqual([]);
          log(`done: ${kills.length} kills`);
          workspace.passed = true;
        },
      );
    },
  );
}

interface PlannedOrder {
  kind: OrderKind;
  body: unknown;
}

function planOrders(random: Random, count: number, customers: readonly string[], poor: string, merchant: string): PlannedOrder[] {
  const kinds: OrderKind[] = ['ship', 'ship', 'ship', 'ship', 'ship', 'out-of-stock', 'no-funds', 'carrier'];
  return Array.from({ length: count }, (_, index) => {
    const kind = kinds[Math.floor(random() * kinds.length)]!;
    const quantity = 1 + Math.floor(random() * 3);
    return {
      kind,
      body: {
        customerAccount: kind === 'no-funds' ? poor : customers[index % customers.length],
        merchantAccount: merchant,
        currency: 'EUR',
        items: [
          {
            sku: kind === 'out-of-stock' ? `gone-${index}` : 'widget',
            quantity,
            unitPrice: `${1 + Math.floor(random() * 90)}.${String(Math.floor(random() * 100)).padStart(2, '0')}`,
          },
        ],
        destinationCountry: kind === 'carrier' ? 'XX' : 'DE',
      },
    };
  });
}

/**
 * Over every order the database holds: it ended; a cancelled one holds no money and no stock, a
 * shipped one was paid and reserved; each compensation and each outcome at most once; stock is
 * what was set less what shipped; the balances are what the shipped orders make them.
 */
async function assertOrderInvariants(
  db: SqlRunner,
  expected: { initialStock: number; balances: Map<string, bigint>; customers: string[]; merchant: string; richDeposit: bigint },
): Promise<void> {
  const open = await db.query(`select order_id, status from orders where status = 'PLACED'`);
  expect(open.rows, 'orders that never ended').toEqual([]);
  const cancelledHolding = await db.query(
    `select o.order_id, p.stage as payment, r.stage as reservation from orders o
     left join order_payments p using (order_id) left join inventory_reservations r using (order_id)
     where o.status = 'CANCELLED' and (coalesce(p.stage, 'none') not in ('none', 'failed', 'refunded') or coalesce(r.stage, 'none') not in ('none', 'failed', 'released'))`,
  );
  expect(cancelledHolding.rows, 'cancelled orders holding money or stock').toEqual([]);
  const shippedWrong = await db.query(
    `select o.order_id, p.stage as payment, r.stage as reservation from orders o
     left join order_payments p using (order_id) left join inventory_reservations r using (order_id)
     where o.status = 'SHIPPED' and (p.stage is distinct from 'completed' or r.stage is distinct from 'reserved')`,
  );
  expect(shippedWrong.rows, 'shipped orders not paid or not reserved').toEqual([]);
  const twice = await db.query(
    `select order_id, event_type, count(*) from order_timeline
     where event_type in ('OrderPlaced', 'PaymentCompleted', 'PaymentFailed', 'PaymentRefunded', 'InventoryReserved', 'InventoryReleased', 'ShipmentCreated', 'OrderCancelled')
     group by order_id, event_type having count(*) > 1`,
  );
  expect(twice.rows, 'an outcome or a compensation announced twice').toEqual([]);
  const shipped = await db.query<{ units: bigint | null }>(
    `select sum((item->>'quantity')::int8)::int8 as units from orders, jsonb_array_elements(items) item where status = 'SHIPPED' and item->>'sku' = 'widget'`,
  );
  const stock = await db.query<{ quantity: bigint }>(`select quantity from inventory_stock where sku = 'widget'`);
  expect(stock.rows[0]?.quantity, 'stock: what was set less what shipped').toBe(
    BigInt(expected.initialStock) - (shipped.rows[0]?.units ?? 0n),
  );
  const paid = await db.query<{ customer_account: string; total: bigint }>(
    `select customer_account, sum(amount_minor)::int8 as total from orders where status = 'SHIPPED' group by customer_account`,
  );
  const paidBy = new Map(paid.rows.map((row) => [row.customer_account, row.total]));
  let merchantTotal = 0n;
  for (const customer of expected.customers) {
    const deposit = customer === expected.customers.at(-1) ? 0n : expected.richDeposit;
    expect(expected.balances.get(customer), `balance of ${customer}: its deposit less its shipped orders, each paid once`).toBe(
      deposit - (paidBy.get(customer) ?? 0n),
    );
    merchantTotal += paidBy.get(customer) ?? 0n;
  }
  expect(expected.balances.get(expected.merchant), "the merchant's balance: the shipped orders, every refund paid back").toBe(
    merchantTotal,
  );
}

async function eventuallyAllEnded(db: SqlRunner, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await db.query<{ n: bigint }>(`select count(*)::int8 as n from orders where status = 'PLACED'`);
    if (open.rows[0]!.n === 0n) return;
    if (Date.now() > deadline) return; // the assertion that follows names them
    await sleep(500);
  }
}

/** Repeats a request until it is answered 202 or a 4xx (connection refused or reset, a timeout, a 5xx: the process was down), for up to two minutes. */
async function placeUntilAnswered(send: () => Promise<Answer>): Promise<Answer | undefined> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const answer = await send().catch(() => undefined);
    if (answer && answer.status < 500) return answer;
    if (Date.now() > deadline) return answer;
    await sleep(200);
  }
}

function minor(decimal: string): bigint {
  const [whole, fraction = ''] = decimal.split('.');
  return BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'));
}

/** An API answer as a test reads it: the assertions check its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above
type Answer = { status: number; body: any };

function apiCaller(apiKey: string) {
  return async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
}
