import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { hasKafka, hasPostgres } from '../support/engines.ts';
import { externalCreditor, startTestPlatform, type Engine, type TestPlatform } from '../support/platform-fixture.ts';

// The payment money path end to end, over HTTP, on both engines: the API, validation, the ledger,
// the RTGS gateway against the simulator, the status projection. After every test the ledger
// invariants are asserted on the database.
const engines: { engine: Engine; available: boolean; reason: string }[] = [
  { engine: 'embedded', available: true, reason: '' },
  {
    engine: 'kafka',
    available: hasKafka() && hasPostgres(),
    reason: 'needs Kafka and PostgreSQL (REQUIRE_KAFKA/REQUIRE_POSTGRES make CI fail instead)',
  },
];

for (const { engine, available, reason } of engines) {
  describe.skipIf(!available)(`payments end to end on ${engine}${available ? '' : ` (skipped: ${reason})`}`, () => {
    let ps: TestPlatform;
    beforeAll(async () => {
      ps = await startTestPlatform(engine);
    }, 120_000);
    afterAll(async () => ps?.close(), 60_000);
    afterEach(async () => ps.assertInvariants());

    it('completes a payment over RTGS with the right balances and a full timeline', async () => {
      const alice = await ps.openAccount('Alice Example', { deposit: '1000.00' });
      const { paymentId, uetr } = await ps.pay(alice, { amount: '250.50' });
      const payment = await ps.settled(paymentId);
      expect(payment.status).toBe('COMPLETED');
      expect(payment.uetr).toBe(uetr);
      expect(payment.timeline.map((entry: { type: string }) => entry.type)).toEqual(
        expect.arrayContaining([
          'PaymentSubmitted',
          'PaymentValidated',
          'PaymentReserved',
          'RtgsSubmitted',
          'RtgsSettled',
          'PaymentCompleted',
        ]),
      );
      expect(await ps.account(alice)).toMatchObject({ balance: '749.50', reserved: '0.00', available: '749.50' });
      expect(ps.simulator.inspect(uetr)).toMatchObject({ status: 'ACSC', submissions: 1 });
      const trial = await ps.api('GET', '/v1/ledger/trial-balance');
      expect(trial.body.balanced).toBe(true);
      const metrics = await (await fetch(`${ps.url}/metrics`)).text();
      expect(metrics).toMatch(/paystream_events_consumed_total\{group="ledger",topic="payments.cleared.v1"\} [1-9]/);
      expect(metrics).toMatch(/paystream_consumer_lag_messages\{group="ledger",topic="payments.cleared.v1"\} \d+/);
    });

    it('settles a payment between two accounts of this bank internally, without RTGS', async () => {
      const alice = await ps.openAccount('Alice Example', { deposit: '100.00' });
      const bob = await ps.openAccount('Bob Example');
      const { paymentId, uetr } = await ps.pay(alice, {
        amount: '40.00',
        creditor: { name: 'Bob Example', account: bob, agent: 'PAYSDEFFXXX', country: 'DE' },
      });
      const payment = await ps.settled(paymentId);
      expect(payment.status).toBe('COMPLETED');
      expect(await ps.account(alice)).toMatchObject({ balance: '60.00', reserved: '0.00' });
      expect(await ps.account(bob)).toMatchObject({ balance: '40.00' });
      expect(ps.simulator.inspect(uetr)).toBeUndefined();
    });

    it('fails a payment without funds, debiting nothing', async () => {
      const alice = await ps.openAccount('Alice Example', { deposit: '50.00' });
      const { paymentId } = await ps.pay(alice, { amount: '50.01' });
      const payment = await ps.settled(paymentId);
      expect(payment).toMatchObject({ status: 'FAILED', failure: { code: 'INSUFFICIENT_FUNDS' } });
      expect(await ps.account(alice)).toMatchObject({ balance: '50.00', reserved: '0.00', available: '50.00' });
    });

    it('fails a payment the RTGS network rejects and releases the reservation (compensation)', async () => {
      const alice = await ps.openAccount('Alice Example', { deposit: '500.00' });
      const { paymentId, uetr } = await ps.pay(alice, { amount: '120.00', creditor: { ...externalCreditor, name: 'Bob REJECT-AC04' } });
      const payment = await ps.settled(paymentId);
      expect(payment).toMatchObject({ status: 'FAILED', failure: { code: 'RTGS_REJECTED' } });
      expect(payment.failure.reason).toContain('AC04');
      expect(payment.timeline.map((entry: { type: string }) => entry.type)).toEqual(
        expect.arrayContaining(['PaymentReserved', 'RtgsRejected', 'PaymentFailed']),
      );
      expect(await ps.account(alice)).toMatchObject({ balance: '500.00', reserved: '0.00', available: '500.00' });
      expect(ps.simulator.inspect(uetr)).toMatchObject({ status: 'RJCT' });
    });

    it('settles exactly once when the RTGS call times out and the settlement arrives late', async () => {
      const alice = await ps.openAccount('Alice Example', { deposit: '300.00' });
      // The network registers the payment, then holds its HTTP answer past the gateway's 1 s timeout,
      // and decides only later: the gateway must ask for the status, not pay twice.
      ps.simulator.setSubmitDelayMs(2_500);
      try {
        const { paymentId, uetr } = await ps.pay(alice, { amount: '100.00', creditor: { ...externalCreditor, name: 'Bob LATE' } });
        const payment = await ps.settled(paymentId, 60_000);
        expect(payment.status).toBe('COMPLETED');
        expect(ps.simulator.inspect(uetr)?.status).toBe('ACSC');
        const settled = await ps.platform.backbone.db.query(
          `select count(*)::int as n from payment_timeline where payment_id = $1 and event_type = 'RtgsSettled'`,
          [paymentId],
        );
        expect(settled.rows[0]).toEqual({ n: 1 });
      } finally {
        ps.simulator.setSubmitDelayMs(0);
      }
      expect(await ps.account(alice)).toMatchObject({ balance: '200.00', reserved: '0.00' });
    });

    it('makes one payment for a repeated Idempotency-Key, and refuses the key with another body', async () => {
      const alice = await ps.openAccount('Alice Example', { deposit: '100.00' });
      const body = { amount: '10.00', currency: 'EUR', debtor: { name: 'Alice Example', account: alice }, creditor: externalCreditor };
      const [first, second] = await Promise.all([
        ps.api('POST', '/v1/payments', body, { 'idempotency-key': 'same-key-1' }),
        ps.api('POST', '/v1/payments', body, { 'idempotency-key': 'same-key-1' }),
      ]);
      const third = await ps.api('POST', '/v1/payments', body, { 'idempotency-key': 'same-key-1' });
      expect([first.status, second.status, third.status]).toEqual([202, 202, 202]);
      expect(new Set([first.body.paymentId, second.body.paymentId, third.body.paymentId]).size).toBe(1);
      expect(third.headers.get('idempotent-replayed')).toBe('true');
      const different = await ps.api('POST', '/v1/payments', { ...body, amount: '11.00' }, { 'idempotency-key': 'same-key-1' });
      expect(different.status).toBe(422);
      expect(different.body.code).toBe('idempotency-key-reused');
      await ps.settled(first.body.paymentId);
      expect(await ps.account(alice)).toMatchObject({ balance: '90.00' });
      const count = await ps.platform.backbone.db.query(`select count(*)::int as n from payments where debtor_account = $1`, [alice]);
      expect(count.rows[0]).toEqual({ n: 1 });
    });

    it("reconciles the day's settlements against the RTGS statement as clean", async () => {
      const alice = await ps.openAccount('Alice Example', { deposit: '100.00' });
      await ps.settled((await ps.pay(alice, { amount: '12.34' })).paymentId);
      const today = new Date().toISOString().slice(0, 10);
      const run = await ps.api('POST', `/v1/reconciliation/${today}/runs`);
      expect(run.status, JSON.stringify(run.body)).toBe(201);
      expect(run.body).toMatchObject({ date: today, clean: true, breaks: [] });
      expect((await ps.api('GET', `/v1/reconciliation/${today}`)).body.runId).toBe(run.body.runId);
    });

    it('never overdraws an account under many concurrent payments (property-based)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 1, max: 40_00 }), { minLength: 5, maxLength: 25 }),
          fc.integer({ min: 50_00, max: 300_00 }),
          fc.integer({ min: 0, max: 20_00 }),
          async (amountsMinor, depositMinor, overdraftMinor) => {
            const decimal = (minor: number) => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
            const account = await ps.openAccount('Carol Example', {
              deposit: decimal(depositMinor),
              overdraftLimit: decimal(overdraftMinor),
            });
            const submitted = await Promise.all(amountsMinor.map((amountMinor) => ps.pay(account, { amount: decimal(amountMinor) })));
            const outcomes = await Promise.all(submitted.map(({ paymentId }) => ps.settled(paymentId, 60_000)));
            const completedMinor = outcomes.reduce(
              (sum, payment, index) => (payment.status === 'COMPLETED' ? sum + amountsMinor[index]! : sum),
              0,
            );
            for (const payment of outcomes) {
              expect(['COMPLETED', 'FAILED']).toContain(payment.status);
              if (payment.status === 'FAILED') expect(payment.failure.code).toBe('INSUFFICIENT_FUNDS');
            }
            expect(completedMinor).toBeLessThanOrEqual(depositMinor + overdraftMinor);
            const view = await ps.account(account);
            expect(view.balance).toBe(decimalSigned(depositMinor - completedMinor));
            expect(view.reserved).toBe('0.00');
          },
        ),
        { numRuns: 4 },
      );
    }, 240_000);
  });
}

function decimalSigned(minor: number): string {
  const sign = minor < 0 ? '-' : '';
  const absolute = Math.abs(minor);
  return `${sign}${Math.floor(absolute / 100)}.${String(absolute % 100).padStart(2, '0')}`;
}
