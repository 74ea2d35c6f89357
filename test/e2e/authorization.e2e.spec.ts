import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasKafka, hasPostgres } from '../support/engines.ts';
import { startTestPlatform, type Engine, type JsonBody, type TestPlatform } from '../support/platform-fixture.ts';

// The authorization service end to end, over HTTP, on both engines: the processor live on the
// stream runner, fed by the simulated core (state updates and watermarks on accounts.state.v1). A
// request is decided on state once the feed's watermark reaches it; a request the watermark cannot
// reach within the grace (its event time an hour ahead) stands in; an override of a decline is the
// processor's, answered 200 with the new decision or 409 when refused.
const engines: { engine: Engine; available: boolean; reason: string }[] = [
  { engine: 'embedded', available: true, reason: '' },
  {
    engine: 'kafka',
    available: hasKafka() && hasPostgres(),
    reason: 'needs Kafka and PostgreSQL (REQUIRE_KAFKA/REQUIRE_POSTGRES make CI fail instead)',
  },
];

const merchant = { id: 'm-42', categoryCode: '5411', country: 'DE' };

for (const { engine, available, reason } of engines) {
  describe.skipIf(!available)(`payment authorization end to end on ${engine}${available ? '' : ` (skipped: ${reason})`}`, () => {
    let ps: TestPlatform;
    beforeAll(async () => {
      ps = await startTestPlatform(engine, {
        tuning: {
          authorization: {
            rules: { graceMs: 1_000 },
            coreFeed: {
              delayMs: 0,
              watermarkIntervalMs: 50,
              accounts: [
                {
                  accountId: 'acc-anna',
                  status: 'ACTIVE',
                  ownerUserId: 'anna',
                  authorizedUsers: ['ben'],
                  currency: 'EUR',
                  availableMinor: '10000',
                },
                { accountId: 'acc-dora', status: 'ACTIVE', ownerUserId: 'dora', currency: 'EUR', availableMinor: '10000' },
                { accountId: 'acc-blocked', status: 'BLOCKED', ownerUserId: 'carl', currency: 'EUR', availableMinor: '10000' },
              ],
            },
          },
        },
      });
    }, 180_000);
    afterAll(async () => ps?.close(), 60_000);

    it('decides on state: approves within the available amount with a hold, declines the next for funds, and an override approves it once', async () => {
      const first = await authorize(ps, { accountId: 'acc-anna', userId: 'anna', amount: '60.00' });
      expect(first).toMatchObject({ status: 'APPROVED', decisions: [{ basis: 'STATE', reason: null, decisionVersion: 1 }] });
      const second = await authorize(ps, { accountId: 'acc-anna', userId: 'ben', amount: '60.00' });
      expect(second).toMatchObject({ status: 'DECLINED', decisions: [{ basis: 'STATE', reason: 'INSUFFICIENT_FUNDS' }] });

      const override = await ps.api('POST', `/v1/authorizations/${second.authorizationId}/override`, {
        by: 'ops-officer-7',
        why: 'customer called',
      });
      expect(override.status).toBe(200);
      expect(override.body.decisions).toHaveLength(2);
      expect(override.body.decisions[1]).toMatchObject({
        decision: 'APPROVED',
        basis: 'OVERRIDE',
        decisionVersion: 2,
        overriddenBy: 'ops-officer-7',
        overrideReason: 'customer called',
      });
      const again = await ps.api('POST', `/v1/authorizations/${second.authorizationId}/override`, { by: 'anna', why: 'me again' });
      expect(again.status).toBe(409);
      expect(again.body).toMatchObject({ code: 'override-refused' });
      expect(again.body.detail).toContain('ALREADY_OVERRIDDEN');
      expect((await ps.api('GET', `/v1/authorizations/${second.authorizationId}`)).body.decisions).toHaveLength(2);

      const metrics = await (await fetch(`${ps.url}/metrics`)).text();
      expect(metrics).toMatch(/paystream_authorization_decisions_total\{basis="STATE",decision="APPROVED",reason="none"\} [1-9]/);
      expect(metrics).toMatch(/paystream_authorization_decisions_total\{basis="OVERRIDE",decision="APPROVED",reason="none"\} 1/);
      expect(metrics).toMatch(/paystream_authorization_pending_requests \d+/);
      expect(metrics).toMatch(/paystream_stream_state_rows\{processor="authorization",store="accounts"\} [1-9]/);
    });

    it('stands in when the feed cannot complete the state within the grace: up to the stand-in limit (50.00) approved, above it declined though funds suffice', async () => {
      const ahead = new Date(Date.now() + 3_600_000).toISOString();
      const small = await authorize(ps, { accountId: 'acc-dora', userId: 'dora', amount: '20.00', requestedAt: ahead });
      expect(small).toMatchObject({ status: 'APPROVED', decisions: [{ basis: 'STAND_IN', reason: null }] });
      const large = await authorize(ps, { accountId: 'acc-dora', userId: 'dora', amount: '60.00', requestedAt: ahead });
      expect(large).toMatchObject({ status: 'DECLINED', decisions: [{ basis: 'STAND_IN', reason: 'STAND_IN_LIMIT' }] });
    });

    it('declines on a blocked account, refuses to override that decline (409), and answers 404 for an unknown id', async () => {
      const blocked = await authorize(ps, { accountId: 'acc-blocked', userId: 'carl', amount: '1.00' });
      expect(blocked).toMatchObject({ status: 'DECLINED', decisions: [{ basis: 'STATE', reason: 'ACCOUNT_NOT_ACTIVE' }] });
      const refused = await ps.api('POST', `/v1/authorizations/${blocked.authorizationId}/override`, { by: 'carl', why: 'please' });
      expect(refused.status).toBe(409);
      expect(refused.body.detail).toContain('NOT_OVERRIDABLE');
      expect((await ps.api('GET', '/v1/authorizations/never-asked')).status).toBe(404);
    });
  });
}

/** Asks for an authorization (202, PENDING or already decided) and waits for its first decision. */
async function authorize(ps: TestPlatform, body: Record<string, string>): Promise<JsonBody> {
  const accepted = await ps.api('POST', '/v1/authorizations', { currency: 'EUR', merchant, ...body });
  expect(accepted.status).toBe(202);
  expect(accepted.headers.get('location')).toBe(`/v1/authorizations/${accepted.body.authorizationId}`);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const view = await ps.api('GET', `/v1/authorizations/${accepted.body.authorizationId}`);
    if (view.body.status !== 'PENDING') return view.body;
    if (Date.now() > deadline) throw new Error(`authorization ${accepted.body.authorizationId} still PENDING`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
