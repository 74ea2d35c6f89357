import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymentEventTypes, PaymentTopics } from '../../src/contracts/topics.ts';
import { openCase, type NewCase } from '../../src/services/compliance-cases/index.ts';
import { startTestPlatform, type TestPlatform } from '../support/platform-fixture.ts';

// The compliance officer's queue over HTTP on the embedded platform: numeric query parameters are
// read from the query string's text (`?limit=5` was refused as "/limit must be integer"), and the
// list pages past its first page with an opaque cursor, every case on exactly one page.

const caseOf = (n: number): NewCase => ({
  caseId: `case-paging-${String(n).padStart(3, '0')}`,
  paymentId: `payment-paging-${n}`,
  debtorAccount: 'DE89370400440532013000',
  correlationId: `correlation-paging-${n}`,
  stage: 'FRAUD',
  reason: 'score above the review threshold',
  evidence: { score: 0.9 },
  onApprove: {
    topic: PaymentTopics.validated,
    eventType: PaymentEventTypes[PaymentTopics.validated],
    key: 'DE89370400440532013000',
    payload: {},
  },
  amountMinor: 1000n + BigInt(n),
  currency: 'EUR',
});

describe('GET /v1/compliance/cases: query string and pages', () => {
  let ps: TestPlatform;
  const opened: string[] = [];

  beforeAll(async () => {
    ps = await startTestPlatform('embedded', { awaitScreeningLists: false });
    const db = ps.platform.backbone.db;
    // Seven cases in one transaction share their opening time to the microsecond; five more, one
    // transaction each, follow. A page boundary must fall between cases of the same time too.
    await db.transaction(async (tx) => {
      for (let n = 1; n <= 7; n++) await openCase(tx, caseOf(n));
    });
    for (let n = 8; n <= 12; n++) await db.transaction((tx) => openCase(tx, caseOf(n)));
    opened.push(...Array.from({ length: 12 }, (_, index) => caseOf(index + 1).caseId));
  }, 180_000);
  afterAll(async () => ps?.close(), 60_000);

  it('takes limit from the query string as an integer', async () => {
    const response = await ps.api('GET', '/v1/compliance/cases?limit=5');
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    expect(response.body.cases).toHaveLength(5);
    expect(response.body.cases[0]).toMatchObject({ caseId: 'case-paging-001', amount: '10.01', currency: 'EUR', status: 'open' });
  });

  it.each([
    ['limit=abc', 'limit'],
    ['limit=0', 'limit'],
    ['limit=501', 'limit'],
    ['limit=2.5', 'limit'],
    ['status=closed', '/status'],
    ['cursor=not-a-cursor', 'cursor'],
    [`cursor=${Buffer.from('{"a":1}').toString('base64url')}`, 'cursor'],
    [`cursor=${Buffer.from('["x","case-paging-001"]').toString('base64url')}`, 'cursor'],
  ])('refuses ?%s with a problem naming %s', async (query, pointer) => {
    const response = await ps.api('GET', `/v1/compliance/cases?${query}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ code: 'invalid-field', pointer });
  });

  it('reaches every open case exactly once, oldest first, a page at a time', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor === null ? 'limit=5' : `limit=5&cursor=${encodeURIComponent(cursor)}`;
      const response = await ps.api('GET', `/v1/compliance/cases?${query}`);
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      seen.push(...response.body.cases.map((item: { caseId: string }) => item.caseId));
      cursor = response.body.nextCursor;
      pages++;
      expect(pages).toBeLessThan(10);
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(opened);
  });

  it('pages only the status asked for, and ends with nextCursor null', async () => {
    await ps.platform.backbone.db.query(
      `update compliance_cases set status = 'approved' where case_id in ('case-paging-002', 'case-paging-009')`,
    );
    const first = await ps.api('GET', '/v1/compliance/cases?status=approved&limit=1');
    expect(first.body.cases.map((item: { caseId: string }) => item.caseId)).toEqual(['case-paging-002']);
    const second = await ps.api('GET', `/v1/compliance/cases?status=approved&limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`);
    expect(second.body.cases.map((item: { caseId: string }) => item.caseId)).toEqual(['case-paging-009']);
    expect(second.body.nextCursor).toBeNull();
    const open = await ps.api('GET', '/v1/compliance/cases');
    expect(open.body.cases).toHaveLength(10);
    expect(open.body.nextCursor).toBeNull();
  });
});
