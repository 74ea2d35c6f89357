/**
 * `screening_decisions`: one row per screened payment, written in the screening consumer's batch
 * transaction together with the events it emits, so a decision and its consequences commit once
 * or not at all. It is the audit record of *why*: both parties' bands and every match with its
 * evidence (list, list version, entry, scores, reasons), the list versions in force, the corridor
 * and the Travel Rule result. Reconciliation reads it through the `ScreeningDecisions` port.
 */
import type { Migration } from '../../../backbone/storage/migrate.ts';
import type { SqlRunner } from '../../../backbone/storage/database.ts';
import type { ScreeningDecisions } from '../../reconciliation/index.ts';
import type { RiskBand, ScreeningResult } from '../model.ts';
import type { ScreeningOutcome } from './decide.ts';
import type { TravelRuleResult } from './travel-rule.ts';

export const screeningDecisionMigrations: readonly Migration[] = [
  {
    id: 1,
    name: 'screening decisions',
    sql: `
      create table screening_decisions (
        decision_id text primary key,
        payment_id text not null unique,
        debtor_account text not null,
        correlation_id text not null,
        -- UNAVAILABLE: the lists could not be read on the last attempt; the payment failed unscreened.
        outcome text not null check (outcome in ('PASS', 'HOLD', 'BLOCK', 'REJECT', 'UNAVAILABLE')),
        reason text not null,
        debtor_band text check (debtor_band in ('LOW', 'MEDIUM', 'HIGH')),
        creditor_band text check (creditor_band in ('LOW', 'MEDIUM', 'HIGH')),
        debtor_evidence jsonb,
        creditor_evidence jsonb,
        list_versions jsonb not null,
        corridor_code text not null,
        travel_rule jsonb not null,
        case_id text,
        decided_at timestamptz not null
      );
      create index screening_decisions_decided_at on screening_decisions (decided_at);
    `,
  },
];

export interface ScreeningDecisionRecord {
  decisionId: string;
  paymentId: string;
  debtorAccount: string;
  correlationId: string;
  outcome: ScreeningOutcome | 'UNAVAILABLE';
  reason: string;
  debtor: ScreeningResult | undefined;
  creditor: ScreeningResult | undefined;
  /** `OFAC-SDN:<sha256>` per list in force. */
  listVersions: readonly string[];
  corridorCode: string;
  travelRule: TravelRuleResult | undefined;
  caseId: string | null;
  decidedAtMs: number;
}

/** Which of these payments already have a decision: a redelivered event, or a replay, decides nothing twice. */
export async function decidedPayments(tx: SqlRunner, paymentIds: readonly string[]): Promise<Set<string>> {
  const found = await tx.query<{ payment_id: string }>(`select payment_id from screening_decisions where payment_id = any($1::text[])`, [
    paymentIds,
  ]);
  return new Set(found.rows.map((row) => row.payment_id));
}

/** Records decisions, one statement for any number. */
export async function recordDecisions(tx: SqlRunner, records: readonly ScreeningDecisionRecord[]): Promise<void> {
  if (records.length === 0) return;
  const column = <T>(pick: (record: ScreeningDecisionRecord) => T): T[] => records.map(pick);
  await tx.query(
    `insert into screening_decisions (decision_id, payment_id, debtor_account, correlation_id, outcome, reason, debtor_band, creditor_band,
       debtor_evidence, creditor_evidence, list_versions, corridor_code, travel_rule, case_id, decided_at)
     select decision_id, payment_id, debtor_account, correlation_id, outcome, reason, debtor_band, creditor_band,
            debtor_evidence::jsonb, creditor_evidence::jsonb, list_versions::jsonb, corridor_code, travel_rule::jsonb, case_id, decided_at
       from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                   $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[])
         as d (decision_id, payment_id, debtor_account, correlation_id, outcome, reason, debtor_band, creditor_band,
               debtor_evidence, creditor_evidence, list_versions, corridor_code, travel_rule, case_id, decided_at)`,
    [
      column((r) => r.decisionId),
      column((r) => r.paymentId),
      column((r) => r.debtorAccount),
      column((r) => r.correlationId),
      column((r) => r.outcome),
      column((r) => r.reason),
      column((r) => bandOf(r.debtor)),
      column((r) => bandOf(r.creditor)),
      column((r) => evidenceJson(r.debtor)),
      column((r) => evidenceJson(r.creditor)),
      column((r) => JSON.stringify(r.listVersions)),
      column((r) => r.corridorCode),
      column((r) =>
        JSON.stringify(
          r.travelRule
            ? { applied: r.travelRule.applied, thresholdMinor: r.travelRule.thresholdMinor.toString(), missing: r.travelRule.missing }
            : { checked: false },
        ),
      ),
      column((r) => r.caseId),
      column((r) => new Date(r.decidedAtMs).toISOString()),
    ],
  );
}

/**
 * The reconciliation port over `screening_decisions`: a payment "has a decision" when screening
 * actually ran on it (passed, held, blocked or rejected); an UNAVAILABLE row records that it did
 * not, so it does not count.
 */
export const screeningDecisionsTable: ScreeningDecisions = {
  async paymentIdsWithDecision(tx, paymentIds) {
    if (paymentIds.length === 0) return new Set();
    const found = await tx.query<{ payment_id: string }>(
      `select payment_id from screening_decisions where payment_id = any($1::text[]) and outcome <> 'UNAVAILABLE'`,
      [[...paymentIds]],
    );
    return new Set(found.rows.map((row) => row.payment_id));
  },
};

function bandOf(result: ScreeningResult | undefined): RiskBand | null {
  return result?.band ?? null;
}

/** The party's result without the list versions (kept once per row): band, score, PEP, matches with their reasons, suppressed matches. */
function evidenceJson(result: ScreeningResult | undefined): string | null {
  if (!result) return null;
  const { listVersions: _versions, ...evidence } = result;
  return JSON.stringify(evidence);
}
