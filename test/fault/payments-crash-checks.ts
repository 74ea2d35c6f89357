/**
 * What must hold after the payments crash test, checked against the platform's database, the RTGS
 * simulator's data file and its camt.053 statement: every accepted payment ended as its kind
 * demands, once; the ledger balances; each UETR was decided and settled once; the audit chain
 * verifies. Each check lists the offending payments (the evidence) rather than only counting them.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { SqlRunner } from '../../src/backbone/storage/database.ts';
import { verifyAuditChain } from '../../src/services/audit/index.ts';
import { RtgsProtocol } from '../../src/contracts/iso20022/rtgs-protocol.ts';
import { assertLedgerInvariants } from '../support/ledger-invariants.ts';
import { expectedOutcomes, type AcceptedPayment, type PlannedPayment } from './payments-crash-load.ts';
import { sleep } from './payments-crash-processes.ts';

const terminalStatuses = new Set(['COMPLETED', 'REJECTED', 'FAILED']);
const terminalEventTypes = ['PaymentCompleted', 'PaymentFailed', 'PaymentRejected'] as const;
const decisiveEventTypes = [...terminalEventTypes, 'RtgsSettled', 'RtgsRejected'] as const;
const maxEvidenceRows = 20;

/** The current status of each of the given payments (absent: not found). */
export type StatusSource = (paymentIds: readonly string[]) => Promise<Map<string, string>>;

export function statusFromDatabase(db: SqlRunner): StatusSource {
  return async (paymentIds) => {
    const { rows } = await db.query<{ payment_id: string; status: string }>(
      `select payment_id, status from payments where payment_id = any($1::text[])`,
      [paymentIds],
    );
    return new Map(rows.map((row) => [row.payment_id, row.status]));
  };
}

/** Through `GET /v1/payments/{id}`, for the embedded engine, whose database only its process can open. */
export function statusFromApi(url: string, apiKey: string, concurrency = 16): StatusSource {
  return async (paymentIds) => {
    const statuses = new Map<string, string>();
    let next = 0;
    const worker = async () => {
      while (next < paymentIds.length) {
        const paymentId = paymentIds[next++]!;
        try {
          const response = await fetch(`${url}/v1/payments/${paymentId}`, {
            headers: { authorization: `Bearer ${apiKey}` },
            signal: AbortSignal.timeout(5_000),
          });
          const body = (await response.json()) as { status?: string };
          if (response.ok && body.status) statuses.set(paymentId, body.status);
        } catch {
          // the process is restarting: ask again next round
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return statuses;
  };
}

/**
 * Waits until every accepted payment has a terminal status. On timeout, fails listing the
 * payments still open, with their kind and status, so the stage they are stuck in is visible.
 */
export async function waitUntilTerminal(
  source: StatusSource,
  accepted: readonly AcceptedPayment[],
  options: { timeoutMs: number; progress: (message: string) => void },
): Promise<{ waitedMs: number }> {
  const { timeoutMs } = options;
  const startedAt = Date.now();
  let open = [...accepted];
  let last = new Map<string, string>();
  let reportedAt = startedAt;
  while (open.length > 0) {
    last = await source(open.map((payment) => payment.paymentId));
    open = open.filter((payment) => !terminalStatuses.has(last.get(payment.paymentId) ?? ''));
    if (open.length === 0) break;
    if (Date.now() - reportedAt >= 5_000) {
      reportedAt = Date.now();
      options.progress(
        `${open.length} payments not terminal yet: ${JSON.stringify(tally(open.map((payment) => `${payment.kind}:${last.get(payment.paymentId) ?? 'NOT FOUND'}`)))}`,
      );
    }
    if (Date.now() - startedAt > timeoutMs) {
      const byStatus = tally(open.map((payment) => last.get(payment.paymentId) ?? 'NOT FOUND'));
      const listing = open
        .slice(0, maxEvidenceRows)
        .map((payment) => `  ${payment.paymentId} ${payment.kind} ${last.get(payment.paymentId) ?? 'NOT FOUND'} (uetr ${payment.uetr})`);
      throw new Error(
        `${open.length} of ${accepted.length} accepted payments are not terminal after ${timeoutMs} ms (${JSON.stringify(byStatus)}):\n${listing.join('\n')}`,
      );
    }
    await sleep(500);
  }
  return { waitedMs: Date.now() - startedAt };
}

/**
 * Waits until the pipeline is at rest: the outbox relayed (Kafka) and the audit log holding a
 * terminal event of every payment, so no late duplicate can arrive after the checks ran.
 */
export async function waitUntilQuiet(db: SqlRunner, paymentCount: number, options: { outbox: boolean; timeoutMs: number }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const audited = await auditedTerminalPayments(db);
    const outboxRows = options.outbox ? Number((await db.query<{ n: bigint }>(`select count(*)::int8 as n from outbox`)).rows[0]!.n) : 0;
    if (audited >= paymentCount && outboxRows === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `not at rest after ${options.timeoutMs} ms: the audit log has a terminal event of ${audited} of ${paymentCount} payments; ${outboxRows} outbox rows unpublished`,
      );
    await sleep(500);
  }
}

/**
 * The network repeats every answer: a callback is delivered at least once, and a gateway that
 * crashed after applying one but before saying so gets it again. For each UETR, the pacs.002 the
 * network holds is fetched and POSTed to the callback route once more; the gateway must say it
 * was already applied. Returns the outcomes it reported, counted.
 */
export async function redeliverAnswers(options: {
  simulatorUrl: string;
  callbackUrl: string;
  callbackToken: string;
  uetrs: readonly string[];
}): Promise<Record<string, number>> {
  const outcomes: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < options.uetrs.length) {
      const uetr = options.uetrs[next++]!;
      const status = await fetch(`${options.simulatorUrl}/payments/${uetr}/status`);
      const pacs002 = await status.text();
      const callback = await fetch(options.callbackUrl, {
        method: 'POST',
        headers: { 'content-type': RtgsProtocol.xmlContentType, [RtgsProtocol.callbackTokenHeader]: options.callbackToken },
        body: pacs002,
      });
      const answer = (await callback.json()) as { applied?: { uetr: string; outcome: string }[] };
      outcomes.push(...(answer.applied ?? [{ uetr, outcome: `HTTP ${callback.status}` }]).map((applied) => applied.outcome));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return tally(outcomes);
}

export async function auditedTerminalPayments(db: SqlRunner): Promise<number> {
  const { rows } = await db.query<{ n: bigint }>(
    `select count(distinct payment_id)::int8 as n from audit_log where event_type = any($1::text[])`,
    [terminalEventTypes],
  );
  return Number(rows[0]!.n);
}

export interface RunFacts {
  planned: readonly PlannedPayment[];
  accepted: readonly AcceptedPayment[];
  /** Deposited per account, in minor units. */
  depositsMinor: ReadonlyMap<string, bigint>;
  simulatorDataFile: string;
  simulatorUrl: string;
  /** Our BIC: the debtor side of every settlement in the network's statement. */
  bankBic: string;
}

export interface CheckSummary {
  payments: number;
  byStatus: Record<string, number>;
  rtgsSettled: number;
  rtgsRejected: number;
  auditEntries: number;
}

/** Every check of the acceptance criteria; fails on the first broken one, with its evidence. */
export async function assertRunConsistent(db: SqlRunner, facts: RunFacts): Promise<CheckSummary> {
  const payments = await paymentRows(db);
  assertOnePaymentPerLogicalPayment(payments, facts);
  const byStatus = assertOutcomes(payments, facts.accepted);
  await assertLedgerInvariants(db);
  await assertNothingHeld(db);
  await assertPostedOnce(db, facts.accepted, payments);
  const rtgs = await assertOneSettlementPerUetr(db, facts, payments);
  await assertTimelines(db, facts.accepted, payments);
  const auditEntries = await assertAudit(db, facts.accepted, payments);
  await assertBalances(db, facts, payments);
  return { payments: payments.size, byStatus, rtgsSettled: rtgs.settled, rtgsRejected: rtgs.rejected, auditEntries };
}

interface PaymentRow {
  payment_id: string;
  uetr: string;
  status: string;
  reason_code: string | null;
  debtor_account: string;
  amount_minor: bigint;
}

async function paymentRows(db: SqlRunner): Promise<Map<string, PaymentRow>> {
  const { rows } = await db.query<PaymentRow>(`select payment_id, uetr, status, reason_code, debtor_account, amount_minor from payments`);
  return new Map(rows.map((row) => [row.payment_id, row]));
}

/** Idempotency: one `payments` row per logical payment, and it is the one every 202 named. */
function assertOnePaymentPerLogicalPayment(payments: Map<string, PaymentRow>, facts: RunFacts): void {
  expect(facts.accepted.length, 'every planned payment was accepted (202), after retries').toBe(facts.planned.length);
  const unknown = facts.accepted
    .filter((payment) => !payments.has(payment.paymentId))
    .map((payment) => `${payment.idempotencyKey} → ${payment.paymentId}`);
  expect(unknown.slice(0, maxEvidenceRows), 'accepted payments (202) with no payments row: an acceptance was lost').toEqual([]);
  const acceptedIds = new Set(facts.accepted.map((payment) => payment.paymentId));
  const extra = [...payments.values()]
    .filter((row) => !acceptedIds.has(row.payment_id))
    .map((row) => `${row.payment_id} (${row.debtor_account}, ${row.amount_minor}, ${row.status})`);
  expect(extra.slice(0, maxEvidenceRows), 'payments rows no 202 named: a retried request made a second payment').toEqual([]);
  expect(payments.size, 'payments rows = logical payments').toBe(facts.planned.length);
}

/** Every accepted payment is terminal, and ended the way its kind demands. */
function assertOutcomes(payments: Map<string, PaymentRow>, accepted: readonly AcceptedPayment[]): Record<string, number> {
  const wrong: string[] = [];
  for (const payment of accepted) {
    const row = payments.get(payment.paymentId)!;
    const expected = expectedOutcomes[payment.kind];
    if (row.status !== expected.status || row.reason_code !== expected.reasonCode) {
      wrong.push(
        `${payment.paymentId} ${payment.kind}: ${row.status}/${row.reason_code ?? '-'}, expected ${expected.status}/${expected.reasonCode ?? '-'}`,
      );
    }
  }
  expect(wrong.slice(0, maxEvidenceRows), `payments that did not end as their kind demands (${wrong.length})`).toEqual([]);
  return tally([...payments.values()].map((row) => row.status));
}

async function assertNothingHeld(db: SqlRunner): Promise<void> {
  const { rows } = await db.query<{ payment_id: string; account_id: string; amount_minor: bigint }>(
    `select payment_id, account_id, amount_minor from ledger_holds where state = 'held'`,
  );
  expect(rows.slice(0, maxEvidenceRows), 'holds still open after every payment is terminal (funds stuck)').toEqual([]);
}

/** Each completed payment posted exactly once, with the entry of its route; nothing else posted. */
async function assertPostedOnce(db: SqlRunner, accepted: readonly AcceptedPayment[], payments: Map<string, PaymentRow>): Promise<void> {
  const { rows } = await db.query<{ payment_id: string; kind: string; n: bigint }>(
    `select payment_id, kind, count(*)::int8 as n from ledger_journal_entries where payment_id is not null group by payment_id, kind`,
  );
  const entries = new Map(rows.map((row) => [row.payment_id, row]));
  const wrong: string[] = [];
  for (const payment of accepted) {
    const entry = entries.get(payment.paymentId);
    const completed = payments.get(payment.paymentId)!.status === 'COMPLETED';
    const expectedKind = payment.kind === 'internal' ? 'internal-transfer' : 'settlement';
    if (completed && (entry?.kind !== expectedKind || entry.n !== 1n))
      wrong.push(`${payment.paymentId} ${payment.kind} COMPLETED: ${entry ? `${entry.n} × ${entry.kind}` : 'no journal entry'}`);
    if (!completed && entry) wrong.push(`${payment.paymentId} ${payment.kind} not completed, yet posted ${entry.n} × ${entry.kind}`);
  }
  const kindsPerPayment = countBy(rows.map((row) => row.payment_id));
  const multiple = rows.filter((row) => kindsPerPayment.get(row.payment_id)! > 1).map((row) => `${row.payment_id}: ${row.n} × ${row.kind}`);
  expect(wrong.concat(multiple).slice(0, maxEvidenceRows), 'payments posted other than exactly once for a completed payment').toEqual([]);
}

/**
 * One settlement per UETR, from both sides: the gateway's `rtgs_submissions` (one row per UETR,
 * decided as the payment ended) and the network's own record (the simulator's data file: decided
 * once; its camt.053: each UETR settled once, exactly the completed RTGS payments).
 */
async function assertOneSettlementPerUetr(
  db: SqlRunner,
  facts: RunFacts,
  payments: Map<string, PaymentRow>,
): Promise<{ settled: number; rejected: number }> {
  const { rows } = await db.query<{ uetr: string; payment_id: string; state: string }>(
    `select uetr, payment_id, state from rtgs_submissions`,
  );
  const submissions = new Map(rows.map((row) => [row.uetr, row]));
  const network = readSimulatorFile(facts.simulatorDataFile);
  const wrong: string[] = [];
  for (const payment of facts.accepted) {
    const row = payments.get(payment.paymentId)!;
    const submission = submissions.get(payment.uetr);
    const decisions = network.decisions.get(payment.uetr) ?? [];
    const viaRtgs = payment.kind === 'rtgs-settle' || payment.kind === 'rtgs-reject';
    if (!viaRtgs) {
      if (submission || network.received.has(payment.uetr)) wrong.push(`${payment.paymentId} ${payment.kind} went to the RTGS network`);
      continue;
    }
    const expectedState = row.status === 'COMPLETED' ? 'settled' : 'rejected';
    const expectedDecision = row.status === 'COMPLETED' ? 'ACSC' : 'RJCT';
    if (submission?.state !== expectedState || submission.payment_id !== payment.paymentId)
      wrong.push(
        `${payment.paymentId} ${row.status}: rtgs_submissions ${submission ? `${submission.state} for ${submission.payment_id}` : 'missing'}`,
      );
    if (decisions.length !== 1 || decisions[0] !== expectedDecision)
      wrong.push(`${payment.paymentId} ${row.status}: the network decided [${decisions.join(', ')}] for uetr ${payment.uetr}`);
    if ((network.received.get(payment.uetr) ?? 0) !== 1)
      wrong.push(`${payment.paymentId}: the network recorded ${network.received.get(payment.uetr) ?? 0} pacs.008 receptions`);
  }
  const acceptedUetrs = new Set(facts.accepted.map((payment) => payment.uetr));
  const stray = [...network.received.keys()].filter((uetr) => !acceptedUetrs.has(uetr));
  for (const uetr of stray) wrong.push(`the network holds uetr ${uetr}, of no accepted payment`);
  expect(wrong.slice(0, maxEvidenceRows), `RTGS submissions or decisions not exactly one per UETR (${wrong.length})`).toEqual([]);

  const completedRtgs = facts.accepted.filter(
    (payment) =>
      (payment.kind === 'rtgs-settle' || payment.kind === 'rtgs-reject') && payments.get(payment.paymentId)!.status === 'COMPLETED',
  );
  const statement = await statementDebits(facts, network.settlementDates);
  const twice = [...countBy(statement).entries()].filter(([, n]) => n > 1).map(([uetr, n]) => `${uetr} × ${n}`);
  expect(twice.slice(0, maxEvidenceRows), 'UETRs settled more than once in the network statement (camt.053)').toEqual([]);
  const statementSet = new Set(statement);
  const missing = completedRtgs
    .filter((payment) => !statementSet.has(payment.uetr))
    .map((payment) => `${payment.paymentId} (uetr ${payment.uetr})`);
  expect(missing.slice(0, maxEvidenceRows), 'completed RTGS payments the network statement does not show as settled').toEqual([]);
  expect(statement.length, 'settlements in the network statement = completed RTGS payments').toBe(completedRtgs.length);

  const settledMinor = [...network.settledMinor.values()].reduce((sum, amount) => sum + amount, 0n);
  const { rows: posted } = await db.query<{ total: bigint | null }>(
    `select sum(amount_minor)::int8 as total from ledger_postings where account_id = 'BANK-RTGS-SETTLEMENT-EUR'`,
  );
  expect(posted[0]?.total ?? 0n, 'the RTGS settlement account holds exactly what the network settled').toBe(settledMinor);
  return { settled: rows.filter((row) => row.state === 'settled').length, rejected: rows.filter((row) => row.state === 'rejected').length };
}

/**
 * The decisive events of each payment, counted by event id in the gateway's timeline: exactly one
 * terminal event, the one of its status, and for an RTGS payment exactly one network answer
 * (`RtgsSettled` or `RtgsRejected`), the one of its outcome. A second answer event for a UETR is
 * a settlement applied twice, even if the ledger's own guards kept it from posting twice.
 */
async function assertTimelines(db: SqlRunner, accepted: readonly AcceptedPayment[], payments: Map<string, PaymentRow>): Promise<void> {
  const { rows } = await db.query<EventCount>(
    `select payment_id, event_type, count(*)::int8 as n from payment_timeline where event_type = any($1::text[]) group by payment_id, event_type`,
    [decisiveEventTypes],
  );
  expect(
    wrongDecisiveEvents(rows, accepted, payments).slice(0, maxEvidenceRows),
    'payments whose timeline has not exactly the decisive events of their outcome',
  ).toEqual([]);
}

/** The same in the audit log (where event ids are unique), and the hash chain verifies. */
async function assertAudit(db: SqlRunner, accepted: readonly AcceptedPayment[], payments: Map<string, PaymentRow>): Promise<number> {
  const { rows } = await db.query<EventCount>(
    `select payment_id, event_type, count(*)::int8 as n from audit_log where event_type = any($1::text[]) group by payment_id, event_type`,
    [decisiveEventTypes],
  );
  expect(
    wrongDecisiveEvents(rows, accepted, payments).slice(0, maxEvidenceRows),
    'payments whose audit trail has not exactly the decisive events of their outcome',
  ).toEqual([]);
  const verification = await verifyAuditChain(db);
  expect(verification, 'the audit chain verifies').toMatchObject({ ok: true });
  return verification.entries;
}

/** Balance = deposits − completed outgoing + completed incoming internal transfers, per account. */
async function assertBalances(db: SqlRunner, facts: RunFacts, payments: Map<string, PaymentRow>): Promise<void> {
  const expected = new Map(facts.depositsMinor);
  for (const payment of facts.accepted) {
    if (payments.get(payment.paymentId)!.status !== 'COMPLETED') continue;
    expected.set(payment.debtor, (expected.get(payment.debtor) ?? 0n) - payment.amountMinor);
    if (payment.kind === 'internal')
      expected.set(payment.creditorAccount, (expected.get(payment.creditorAccount) ?? 0n) + payment.amountMinor);
  }
  const { rows } = await db.query<{ account_id: string; balance_minor: bigint }>(
    `select account_id, balance_minor from ledger_accounts where account_id = any($1::text[])`,
    [[...expected.keys()]],
  );
  const actual = Object.fromEntries(rows.map((row) => [row.account_id, row.balance_minor]));
  expect(actual, 'balances = deposits − completed outgoing + completed incoming internal').toEqual(Object.fromEntries(expected));
}

interface EventCount {
  payment_id: string;
  event_type: string;
  n: bigint;
}

function wrongDecisiveEvents(
  rows: readonly EventCount[],
  accepted: readonly AcceptedPayment[],
  payments: Map<string, PaymentRow>,
): string[] {
  const terminalEventOf: Record<string, string> = { COMPLETED: 'PaymentCompleted', FAILED: 'PaymentFailed', REJECTED: 'PaymentRejected' };
  const seen = new Map<string, string[]>();
  for (const row of rows)
    seen.set(row.payment_id, [...(seen.get(row.payment_id) ?? []), ...Array.from({ length: Number(row.n) }, () => row.event_type)]);
  const wrong: string[] = [];
  for (const payment of accepted) {
    const { status } = payments.get(payment.paymentId)!;
    const viaRtgs = payment.kind === 'rtgs-settle' || payment.kind === 'rtgs-reject';
    const expected = [terminalEventOf[status]!, ...(viaRtgs ? [status === 'COMPLETED' ? 'RtgsSettled' : 'RtgsRejected'] : [])].sort();
    const events = (seen.get(payment.paymentId) ?? []).sort();
    if (events.join() !== expected.join())
      wrong.push(`${payment.paymentId} ${payment.kind} ${status}: [${events.join(', ')}], expected [${expected.join(', ')}]`);
  }
  return wrong;
}

interface NetworkRecord {
  /** pacs.008 receptions recorded per UETR. */
  received: Map<string, number>;
  /** Decisions recorded per UETR, in file order. */
  decisions: Map<string, string[]>;
  /** Amount of each settled (ACSC) UETR. */
  settledMinor: Map<string, bigint>;
  settlementDates: Set<string>;
}

/** The simulator's JSONL data file, as the network's own record of every decision. */
function readSimulatorFile(file: string): NetworkRecord {
  const record: NetworkRecord = { received: new Map(), decisions: new Map(), settledMinor: new Map(), settlementDates: new Set() };
  const amounts = new Map<string, bigint>();
  for (const text of readFileSync(file, 'utf8').split('\n')) {
    if (text.trim() === '') continue;
    let line: {
      type: string;
      uetr?: string;
      transfer?: { uetr: string; amountMinor: string };
      decision?: { status: string; settlementDate: string };
    };
    try {
      line = JSON.parse(text) as typeof line;
    } catch {
      continue; // a line torn by kill -9; the simulator ignores it too
    }
    if (line.type === 'received' && line.transfer) {
      record.received.set(line.transfer.uetr, (record.received.get(line.transfer.uetr) ?? 0) + 1);
      amounts.set(line.transfer.uetr, BigInt(line.transfer.amountMinor));
    } else if (line.type === 'decided' && line.uetr && line.decision) {
      record.decisions.set(line.uetr, [...(record.decisions.get(line.uetr) ?? []), line.decision.status]);
      if (line.decision.status === 'ACSC') {
        record.settledMinor.set(line.uetr, amounts.get(line.uetr) ?? 0n);
        record.settlementDates.add(line.decision.settlementDate);
      }
    }
  }
  return record;
}

/** The UETRs our bank was debited for, from the network's end-of-day camt.053 of each settlement date. */
async function statementDebits(facts: RunFacts, dates: ReadonlySet<string>): Promise<string[]> {
  const uetrs: string[] = [];
  for (const date of dates) {
    const response = await fetch(`${facts.simulatorUrl}/statements/${date}?participant=${facts.bankBic}`);
    const xml = await response.text();
    expect(response.status, `camt.053 of ${date}: ${xml.slice(0, 300)}`).toBe(200);
    for (const entry of xml.split('<Ntry>').slice(1)) {
      const direction = /<CdtDbtInd>(CRDT|DBIT)<\/CdtDbtInd>/.exec(entry)?.[1];
      const uetr = /<UETR>([^<]+)<\/UETR>/.exec(entry)?.[1];
      if (direction === 'DBIT' && uetr) uetrs.push(uetr);
    }
  }
  return uetrs;
}

function countBy<T>(values: readonly T[]): Map<T, number> {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

function tally(values: readonly string[]): Record<string, number> {
  return Object.fromEntries(countBy(values));
}
