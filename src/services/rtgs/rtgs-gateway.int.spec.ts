import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { PostgresDatabase } from '../../backbone/storage-postgres/postgres-database.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { outboxMigrations, TableOutbox } from '../../backbone/outbox/index.ts';
import { EventEncoder } from '../../backbone/envelope/event-encoder.ts';
import { JsonCodec } from '../../backbone/codec/json-codec.ts';
import { systemClock, uuidV7Ids } from '../../backbone/clock/clock.ts';
import { handleInTransaction, type ConsumedEvent, type EmittedEvent } from '../../backbone/consumer/handler.ts';
import type { PaymentReserved } from '../../contracts/events.ts';
import type { PaymentOrder } from '../../contracts/payment.ts';
import { createTestDatabase, describeWithPostgres, type TestDatabase } from '../../../test/support/engines.ts';
import { startRtgsSimulator, type RtgsSimulator } from '../../../tools/rtgs-simulator/index.ts';
import { outboxPublisher } from '../outbox-publisher.ts';
import { createRtgsGatewayService, type RtgsGatewayOptions, type RtgsGatewayService } from './index.ts';
import { RtgsProtocol } from '../../contracts/iso20022/rtgs-protocol.ts';
import { samplePayment } from '../../contracts/iso20022/test-payments.ts';

const token = 'gateway-int-test-token-0123456789';
const codec = new JsonCodec();

describeWithPostgres('the RTGS gateway against the simulator, on PostgreSQL', () => {
  let database: TestDatabase;
  let db: PostgresDatabase;
  const publisher = outboxPublisher(new EventEncoder(codec, uuidV7Ids, systemClock), new TableOutbox());
  const open: { service?: RtgsGatewayService; app?: FastifyInstance; simulator?: RtgsSimulator; restarted?: RtgsSimulator } = {};

  beforeAll(async () => {
    database = await createTestDatabase('rtgs');
    db = new PostgresDatabase({ connectionString: database.url, poolSize: 10 });
    await migrate(db, 'outbox', outboxMigrations);
  });
  afterEach(async () => {
    await open.service?.chaser.stop();
    await open.simulator?.close();
    await open.restarted?.close();
    await open.app?.close();
    if (open.app?.server.listening) await new Promise((resolve) => open.app!.server.close(resolve));
    delete open.service;
    delete open.simulator;
    delete open.restarted;
    delete open.app;
  });
  afterAll(async () => {
    await db?.close();
    await database?.drop();
  });

  /**
   * The simulator needs the callback URL before the gateway exists, and the gateway needs the
   * simulator's URL: so a plain HTTP server takes a port first, and the gateway's Fastify app,
   * built later, serves on it (`serverFactory`).
   */
  async function start(options: { simulator?: Parameters<typeof startRtgsSimulator>[0]; gateway?: Partial<RtgsGatewayOptions> } = {}) {
    let serve: (request: IncomingMessage, response: ServerResponse) => void = (_request, response) => response.writeHead(503).end();
    const server = createServer((request, response) => serve(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const callbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}${RtgsProtocol.callbackPath}`;
    const simulatorOptions = {
      callbackUrl,
      callbackToken: token,
      latencyMs: 100,
      callbackRetry: { baseDelayMs: 50 },
      ...options.simulator,
    };
    const simulator = await startRtgsSimulator(simulatorOptions);
    open.simulator = simulator;
    const service = createRtgsGatewayService(
      { db, publisher, clock: systemClock, ids: uuidV7Ids, logger: pino({ level: 'silent' }), metricsRegistry: new Registry() },
      {
        networkUrl: simulator.url,
        callbackToken: token,
        instructingAgentBic: 'PSTRDEFFXXX',
        instructedAgentBic: 'RTGSDEFFXXX',
        timeoutMs: 2_000,
        ...options.gateway,
      },
    );
    open.service = service;
    await migrate(db, service.name, service.migrations);
    const app = Fastify({
      serverFactory: (handler) => {
        serve = handler;
        return server;
      },
    });
    open.app = app;
    await service.routes!(app);
    await app.ready();
    return { service, simulator, app, simulatorOptions };
  }

  /** Runs the consumer's handler as the batch processor does: in a transaction, emitted events into the outbox. */
  async function handle(
    service: RtgsGatewayService,
    payment: PaymentOrder,
    route: PaymentReserved['route'] = 'RTGS',
  ): Promise<EmittedEvent[]> {
    const event: ConsumedEvent = {
      envelope: {
        eventId: uuidV7Ids.eventId(),
        eventType: 'PaymentReserved',
        schemaVersion: 1,
        occurredAt: new Date().toISOString(),
        correlationId: `corr-${payment.paymentId}`,
        causationId: null,
        key: payment.debtor.account,
        traceparent: '',
      },
      payload: { payment, route } satisfies PaymentReserved,
      topic: 'payments.reserved.v1',
      partition: 0,
      offset: 0n,
      attempt: 0,
    };
    return handleInTransaction(db, service.consumers[0]!, event, (tx, emitted) =>
      publisher.publish(tx, emitted, { correlationId: event.envelope.correlationId, eventId: event.envelope.eventId }),
    );
  }

  async function outboxPayloads(topic: string, uetr: string): Promise<Record<string, unknown>[]> {
    const { rows } = await db.query<{ value: Buffer }>(`select value from outbox where topic = $1 order by id`, [topic]);
    const payloads = await Promise.all(rows.map((row) => codec.decode(topic, '', row.value) as Promise<Record<string, unknown>>));
    return payloads.filter((payload) => payload.uetr === uetr);
  }

  async function stateOf(uetr: string): Promise<{ state: string; decided_via: string | null; reason_code: string | null } | undefined> {
    const { rows } = await db.query<{ state: string; decided_via: string | null; reason_code: string | null }>(
      `select state, decided_via, reason_code from rtgs_submissions where uetr = $1`,
      [uetr],
    );
    return rows[0];
  }

  async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  function payment(creditorName = 'Charles Babbage'): PaymentOrder {
    const base = samplePayment();
    return { ...base, paymentId: randomUUID(), uetr: randomUUID(), creditor: { ...base.creditor, name: creditorName } };
  }

  it('submits an RTGS payment, emits rtgs.submitted, and settles it once when the callback arrives', async () => {
    const { service, simulator } = await start();
    const order = payment();
    const emitted = await handle(service, order);
    expect(emitted).toEqual([
      {
        topic: 'rtgs.submitted.v1',
        eventType: 'RtgsSubmitted',
        key: order.debtor.account,
        payload: {
          paymentId: order.paymentId,
          uetr: order.uetr,
          debtorAccount: order.debtor.account,
          messageId: order.uetr.replaceAll('-', ''),
        },
      },
    ]);
    await until(async () => (await stateOf(order.uetr))?.state === 'settled', 'the settlement');
    expect(await stateOf(order.uetr)).toMatchObject({ decided_via: 'callback' });
    expect(await outboxPayloads('rtgs.settled.v1', order.uetr)).toEqual([
      {
        paymentId: order.paymentId,
        uetr: order.uetr,
        debtorAccount: order.debtor.account,
        settlementDate: new Date().toISOString().slice(0, 10),
      },
    ]);
    expect(simulator.inspect(order.uetr)?.submissions).toBe(1);
  });

  it('ignores INTERNAL payments', async () => {
    const { service, simulator } = await start();
    const order = payment();
    expect(await handle(service, order, 'INTERNAL')).toEqual([]);
    expect(await stateOf(order.uetr)).toBeUndefined();
    expect(simulator.inspect(order.uetr)).toBeUndefined();
  });

  it('a settlement delivered by callback and by status query, even at the same time, yields ONE rtgs.settled', async () => {
    const { service, app } = await start({ gateway: { statusChaser: { firstCheckAfterMs: 1 } } });
    const order = payment();
    await handle(service, order);
    await until(async () => (await stateOf(order.uetr))?.state === 'settled', 'the settlement by callback');
    // The same answer again, by both paths at once, several times.
    const statusXml = await (await fetch(`${open.simulator!.url}${RtgsProtocol.statusPath(order.uetr)}`)).text();
    await db.query(`update rtgs_submissions set state = 'submitted', next_check_at = now() - interval '1 second' where uetr = $1`, [
      order.uetr,
    ]);
    await db.query(`delete from outbox where topic = 'rtgs.settled.v1'`);
    const callbacks = Array.from({ length: 4 }, () =>
      app.inject({
        method: 'POST',
        url: RtgsProtocol.callbackPath,
        headers: { 'content-type': 'application/xml', [RtgsProtocol.callbackTokenHeader]: token },
        payload: statusXml,
      }),
    );
    const rounds = Array.from({ length: 3 }, () => service.chaser.chaseOnce());
    const responses = await Promise.all(callbacks);
    await Promise.all(rounds);
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 200, 200]);
    expect(await outboxPayloads('rtgs.settled.v1', order.uetr)).toHaveLength(1);
  });

  it('finds an answer that never comes by callback through the status chaser', async () => {
    const { service } = await start({ gateway: { statusChaser: { firstCheckAfterMs: 1 } } });
    const order = payment('NOCALLBACK');
    await handle(service, order);
    await until(async () => open.simulator!.inspect(order.uetr)?.status === 'ACSC', 'the decision at the network');
    const round = await service.chaser.chaseOnce();
    expect(round).toMatchObject({ checked: 1, settled: 1 });
    expect(await stateOf(order.uetr)).toMatchObject({ state: 'settled', decided_via: 'status-query' });
    expect(await service.chaser.chaseOnce()).toMatchObject({ checked: 0 });
    expect(await outboxPayloads('rtgs.settled.v1', order.uetr)).toHaveLength(1);
  });

  it('keeps asking while the answer is late, then settles once when it arrives', async () => {
    const { service } = await start({
      simulator: { lateDelayMs: 1_500 },
      gateway: { statusChaser: { firstCheckAfterMs: 1, recheckIntervalMs: 1 } },
    });
    const order = payment('LATE');
    await handle(service, order);
    expect(await service.chaser.chaseOnce()).toMatchObject({ checked: 1, pending: 1 });
    expect(await stateOf(order.uetr)).toMatchObject({ state: 'submitted' });
    await until(async () => (await stateOf(order.uetr))?.state === 'settled', 'the late settlement');
    await service.chaser.chaseOnce();
    expect(await outboxPayloads('rtgs.settled.v1', order.uetr)).toHaveLength(1);
  });

  it('turns an RJCT into rtgs.rejected with the ISO reason code', async () => {
    const { service } = await start();
    const order = payment('REJECT-AC04');
    await handle(service, order);
    await until(async () => (await stateOf(order.uetr))?.state === 'rejected', 'the reject');
    expect(await outboxPayloads('rtgs.rejected.v1', order.uetr)).toEqual([
      expect.objectContaining({ paymentId: order.paymentId, reasonCode: 'AC04' }),
    ]);
    expect(await outboxPayloads('rtgs.settled.v1', order.uetr)).toEqual([]);
  });

  it('on a submit timeout asks for the status instead of resending', async () => {
    // The simulator validates the pacs.008 (a few hundred ms) and registers it before the delay.
    const { service, simulator } = await start({ gateway: { timeoutMs: 1_500 } });
    simulator.setSubmitDelayMs(4_000);
    const order = payment();
    const emitted = await handle(service, order);
    expect(emitted.map((event) => event.topic)).toEqual(['rtgs.submitted.v1']);
    expect(simulator.inspect(order.uetr)?.submissions).toBe(1);
    simulator.setSubmitDelayMs(0);
    await until(async () => (await stateOf(order.uetr))?.state === 'settled', 'the settlement');
  });

  it('sends nothing for a batch that rolls back; the re-run sends the UETR once and it settles once', async () => {
    const { service, simulator } = await start({ simulator: { latencyMs: 300 } });
    const order = payment();
    const event = {
      envelope: {
        eventId: uuidV7Ids.eventId(),
        eventType: 'PaymentReserved',
        schemaVersion: 1,
        occurredAt: '',
        correlationId: 'c',
        causationId: null,
        key: 'k',
        traceparent: '',
      },
      payload: { payment: order, route: 'RTGS' },
      topic: 'payments.reserved.v1',
      partition: 0,
      offset: 0n,
      attempt: 0,
    } as ConsumedEvent;
    await expect(
      handleInTransaction(db, service.consumers[0]!, event, async () => {
        throw new Error('the batch rolls back after the handler ran');
      }),
    ).rejects.toThrow('rolls back');
    expect(simulator.inspect(order.uetr)).toBeUndefined();
    expect(await stateOf(order.uetr)).toBeUndefined();
    await handle(service, order);
    await until(async () => (await stateOf(order.uetr))?.state === 'settled', 'the settlement');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(simulator.inspect(order.uetr)).toMatchObject({ submissions: 1, status: 'ACSC', callbacksSent: 1 });
    expect(await outboxPayloads('rtgs.settled.v1', order.uetr)).toHaveLength(1);
  });

  it('when the network is down: records the submissions, opens the circuit, and the status chaser sends them once it is back', async () => {
    const { service, simulator, simulatorOptions } = await start({
      gateway: { circuitBreaker: { volumeThreshold: 2, resetTimeoutMs: 500 } },
    });
    const port = Number(new URL(simulator.url).port);
    await simulator.close();
    const orders = [payment(), payment(), payment(), payment()];
    for (const order of orders) {
      expect((await handle(service, order)).map((event) => event.topic)).toEqual(['rtgs.submitted.v1']);
      expect(await stateOf(order.uetr)).toMatchObject({ state: 'submitted', decided_via: null });
    }
    expect(service.network.circuitState).toBe('open');
    const back = await startRtgsSimulator({ ...simulatorOptions, port });
    open.restarted = back;
    await new Promise((resolve) => setTimeout(resolve, 600)); // the circuit's reset timeout
    await db.query(`update rtgs_submissions set next_check_at = now() where uetr = any($1::text[])`, [orders.map((order) => order.uetr)]);
    const round = await service.chaser.chaseOnce();
    expect(round.resent).toBe(4);
    for (const order of orders)
      await until(async () => (await stateOf(order.uetr))?.state === 'settled', `the settlement of ${order.uetr}`);
    expect(orders.map((order) => back.inspect(order.uetr)?.submissions)).toEqual([1, 1, 1, 1]);
  });

  it('records a pacs.008 the network refuses when it is sent as rejected (NARR), so the reservation is released', async () => {
    // The network answers nothing within the test, so only the refusal decides.
    const { service, simulator } = await start({ simulator: { latencyMs: 60_000 } });
    const order = payment();
    // The network holds another payment under this UETR: it refuses ours (409), for good.
    await handle(service, { ...order, paymentId: randomUUID(), amountMinor: order.amountMinor + 1n, uetr: order.uetr }).catch(
      () => undefined,
    );
    await db.query(`delete from rtgs_submissions where uetr = $1`, [order.uetr]);
    await handle(service, order);
    await until(async () => (await stateOf(order.uetr))?.state === 'rejected', 'the refusal recorded');
    expect(await stateOf(order.uetr)).toMatchObject({ decided_via: 'submit-refused', reason_code: 'NARR' });
    const [rejected] = await outboxPayloads('rtgs.rejected.v1', order.uetr);
    expect(rejected).toMatchObject({ paymentId: order.paymentId, reasonCode: 'NARR' });
    expect(simulator.inspect(order.uetr)?.submissions).toBe(2); // the other payment's, and ours (refused)
  });

  it('refuses callbacks without the token, invalid pacs.002, and unknown UETRs', async () => {
    const { app } = await start();
    const post = (payload: string, headers: Record<string, string> = { [RtgsProtocol.callbackTokenHeader]: token }) =>
      app.inject({ method: 'POST', url: RtgsProtocol.callbackPath, headers: { 'content-type': 'application/xml', ...headers }, payload });
    const unknownUetr = randomUUID();
    const report = `<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10"><FIToFIPmtStsRpt><GrpHdr><MsgId>M</MsgId><CreDtTm>2024-05-02T10:00:00Z</CreDtTm></GrpHdr><TxInfAndSts><OrgnlUETR>${unknownUetr}</OrgnlUETR><TxSts>ACSC</TxSts></TxInfAndSts></FIToFIPmtStsRpt></Document>`;
    expect((await post(report, {})).statusCode).toBe(401);
    expect((await post(report, { [RtgsProtocol.callbackTokenHeader]: 'wrong' })).statusCode).toBe(401);
    expect((await post(report.replace('<TxSts>ACSC</TxSts>', '<TxSts>TOOLONG</TxSts>'))).statusCode).toBe(400);
    const unknown = await post(report);
    expect(unknown.statusCode).toBe(409);
    expect(unknown.json()).toMatchObject({ unknown: [unknownUetr] });
  });
});
