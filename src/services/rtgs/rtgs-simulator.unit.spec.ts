// The RTGS network simulator (tools/rtgs-simulator) on its own: in-process, no database. It lives
// here because the test projects include src/ and test/ only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRtgsSimulator, type RtgsSimulator } from '../../../tools/rtgs-simulator/index.ts';
import { buildPacs008, defaultXsdDir, Iso20022Messages, parsePacs002, RtgsProtocol, XsdValidator } from '../../contracts/iso20022/index.ts';
import { samplePayment } from '../../contracts/iso20022/test-payments.ts';
import type { PaymentOrder } from '../../contracts/payment.ts';
import { randomUUID } from 'node:crypto';

const validator = new XsdValidator({ xsdDir: defaultXsdDir });
const token = 'simulator-test-token-0123456789';

function pacs008(payment: PaymentOrder): string {
  return buildPacs008({
    messageId: payment.uetr.replaceAll('-', ''),
    createdAt: new Date().toISOString(),
    settlementDate: new Date().toISOString().slice(0, 10),
    instructingAgentBic: 'PSTRDEFFXXX',
    instructedAgentBic: 'RTGSDEFFXXX',
    payment,
  });
}

function payment(creditorName = 'Charles Babbage', overrides: Partial<PaymentOrder> = {}): PaymentOrder {
  const base = samplePayment();
  return { ...base, paymentId: randomUUID(), uetr: randomUUID(), creditor: { ...base.creditor, name: creditorName }, ...overrides };
}

async function submit(simulator: RtgsSimulator, order: PaymentOrder, body = pacs008(order)): Promise<{ status: number; body: string }> {
  const response = await fetch(`${simulator.url}${RtgsProtocol.submitPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/xml', [RtgsProtocol.idempotencyKeyHeader]: order.uetr },
    body,
  });
  return { status: response.status, body: await response.text() };
}

async function status(simulator: RtgsSimulator, uetr: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${simulator.url}${RtgsProtocol.statusPath(uetr)}`);
  return { status: response.status, body: await response.text() };
}

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A stand-in for the gateway's callback route that records what arrives, and can refuse the first N. */
async function callbackReceiver(): Promise<{
  app: FastifyInstance;
  url: string;
  received: { token: string | undefined; body: string }[];
  refuseNext: (count: number) => void;
}> {
  const received: { token: string | undefined; body: string }[] = [];
  let refusals = 0;
  const app = Fastify();
  app.addContentTypeParser('application/xml', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  app.post(RtgsProtocol.callbackPath, async (request, reply) => {
    if (refusals > 0) {
      refusals--;
      return reply.code(503).send();
    }
    received.push({ token: request.headers[RtgsProtocol.callbackTokenHeader] as string | undefined, body: request.body as string });
    return reply.code(200).send({});
  });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, url: `${address}${RtgsProtocol.callbackPath}`, received, refuseNext: (count) => (refusals = count) };
}

describe('the RTGS network simulator', () => {
  let receiver: Awaited<ReturnType<typeof callbackReceiver>>;
  let simulator: RtgsSimulator;
  let dataDir: string;

  beforeAll(async () => {
    receiver = await callbackReceiver();
    dataDir = mkdtempSync(join(tmpdir(), 'rtgs-sim-'));
  });
  afterAll(async () => {
    await receiver.app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    await simulator?.close();
  });

  it('accepts a pacs.008 at once, answers pending, then settles and calls back with a valid pacs.002', async () => {
    simulator = await startRtgsSimulator({ callbackUrl: receiver.url, callbackToken: token, latencyMs: 300 });
    const order = payment();
    expect((await submit(simulator, order)).status).toBe(202);
    const pending = await status(simulator, order.uetr);
    expect(pending.status).toBe(202);
    expect(parsePacs002(pending.body).transactions[0]!.status).toBe('PDNG');

    await until(() => receiver.received.some((callback) => callback.body.includes(order.uetr)), 'the callback');
    const callback = receiver.received.find((candidate) => candidate.body.includes(order.uetr))!;
    expect(callback.token).toBe(token);
    expect(await validator.validate(Iso20022Messages.pacs002, callback.body)).toEqual({ valid: true, errors: [] });
    expect(parsePacs002(callback.body).transactions[0]).toMatchObject({
      uetr: order.uetr,
      status: 'ACSC',
      amountMinor: order.amountMinor,
      currency: 'EUR',
    });

    const decided = await status(simulator, order.uetr);
    expect(decided.status).toBe(200);
    expect(parsePacs002(decided.body).transactions[0]!.status).toBe('ACSC');
    expect((await status(simulator, randomUUID())).status).toBe(404);
  });

  it('refuses an invalid pacs.008 with the validation errors, and a key that is not the UETR', async () => {
    simulator = await startRtgsSimulator({ latencyMs: 10 });
    const order = payment();
    const invalid = await submit(simulator, order, pacs008(order).replace('<ChrgBr>SLEV</ChrgBr>', '<ChrgBr>BAD</ChrgBr>'));
    expect(invalid.status).toBe(400);
    expect(JSON.parse(invalid.body).errors.join('\n')).toMatch(/ChrgBr/);
    const response = await fetch(`${simulator.url}${RtgsProtocol.submitPath}`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml', [RtgsProtocol.idempotencyKeyHeader]: randomUUID() },
      body: pacs008(order),
    });
    expect(response.status).toBe(400);
    expect(simulator.inspect(order.uetr)).toBeUndefined();
  });

  it('rejects by rule, with the reason code in the pacs.002', async () => {
    simulator = await startRtgsSimulator({ callbackUrl: receiver.url, callbackToken: token, latencyMs: 10 });
    const order = payment('Please REJECT-AM04 me');
    await submit(simulator, order);
    await until(() => simulator.inspect(order.uetr)?.status === 'RJCT', 'the reject');
    const report = parsePacs002((await status(simulator, order.uetr)).body);
    expect(report.transactions[0]).toMatchObject({ status: 'RJCT', reasonCode: 'AM04' });
  });

  it('recognises a duplicate UETR, refuses a reused one, and never settles twice, even across a restart', async () => {
    const dataFile = join(dataDir, 'duplicates.jsonl');
    simulator = await startRtgsSimulator({ callbackUrl: receiver.url, callbackToken: token, latencyMs: 50, dataFile });
    const order = payment();
    expect((await submit(simulator, order)).status).toBe(202);
    expect((await submit(simulator, order)).status).toBe(200);
    await until(() => receiver.received.some((callback) => callback.body.includes(order.uetr)), 'the callback');
    expect((await submit(simulator, { ...order, amountMinor: order.amountMinor + 1n })).status).toBe(409);
    const callbacksBefore = receiver.received.filter((callback) => callback.body.includes(order.uetr)).length;
    await simulator.close();

    simulator = await startRtgsSimulator({ callbackUrl: receiver.url, callbackToken: token, latencyMs: 50, dataFile });
    expect(simulator.inspect(order.uetr)?.status).toBe('ACSC');
    expect((await submit(simulator, order)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.filter((callback) => callback.body.includes(order.uetr)).length).toBe(callbacksBefore);
    expect(callbacksBefore).toBe(1);
  });

  it('decides after a restart what was pending before it', async () => {
    const dataFile = join(dataDir, 'pending.jsonl');
    simulator = await startRtgsSimulator({ latencyMs: 400, dataFile });
    const order = payment();
    await submit(simulator, order);
    await simulator.close();
    simulator = await startRtgsSimulator({ callbackUrl: receiver.url, callbackToken: token, latencyMs: 400, dataFile });
    await until(() => receiver.received.some((callback) => callback.body.includes(order.uetr)), 'the callback after the restart');
  });

  it('retries a refused callback with backoff until it is taken', async () => {
    simulator = await startRtgsSimulator({
      callbackUrl: receiver.url,
      callbackToken: token,
      latencyMs: 10,
      callbackRetry: { baseDelayMs: 20 },
    });
    receiver.refuseNext(3);
    const order = payment();
    await submit(simulator, order);
    await until(() => receiver.received.some((callback) => callback.body.includes(order.uetr)), 'the callback');
    expect(simulator.inspect(order.uetr)?.callbacksSent).toBe(4);
  });

  it('never answers, or answers without a callback, when told to', async () => {
    simulator = await startRtgsSimulator({ callbackUrl: receiver.url, callbackToken: token, latencyMs: 10 });
    const never = payment('NEVER answer');
    const silent = payment('NOCALLBACK please');
    await submit(simulator, never);
    await submit(simulator, silent);
    await until(() => simulator.inspect(silent.uetr)?.status === 'ACSC', 'the silent settlement');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(simulator.inspect(never.uetr)?.status).toBe('PDNG');
    expect(simulator.inspect(silent.uetr)?.callbacksSent).toBe(0);
  });

  it("produces an end-of-day camt.053 of the day's settlements that validates", async () => {
    simulator = await startRtgsSimulator({ latencyMs: 10 });
    const eur = payment();
    const jpy = payment('Charles Babbage', { currency: 'JPY', amountMinor: 1_234_567n });
    const rejected = payment('REJECT');
    for (const order of [eur, jpy, rejected]) await submit(simulator, order);
    await until(() => [eur, jpy, rejected].every((order) => simulator.inspect(order.uetr)?.status !== 'PDNG'), 'the decisions');
    const today = new Date().toISOString().slice(0, 10);
    const response = await fetch(`${simulator.url}${RtgsProtocol.statementPath(today)}`);
    expect(response.status).toBe(200);
    const xml = await response.text();
    expect(await validator.validate(Iso20022Messages.camt053, xml)).toEqual({ valid: true, errors: [] });
    expect(xml).toContain(`<UETR>${eur.uetr}</UETR>`);
    expect(xml).toContain('<Amt Ccy="JPY">1234567</Amt>');
    expect(xml).not.toContain(rejected.uetr);
    expect((await fetch(`${simulator.url}${RtgsProtocol.statementPath('2001-01-01')}`)).status).toBe(404);
    expect((await fetch(`${simulator.url}${RtgsProtocol.statementPath('yesterday')}`)).status).toBe(400);
  });
});
