import type { SqlRunner } from '../../backbone/storage/database.ts';

/** An authorization as the routes show it: the request the route accepted, the decisions, the overrides. */
export interface AuthorizationView {
  authorizationId: string;
  accountId: string;
  /** Null for a request that reached the topic without the route (a feed, a test): only its decisions are known. */
  amountMinor: bigint | null;
  currency: string | null;
  decisions: {
    decision: string;
    basis: string;
    reason: string | null;
    stateVersion: number | null;
    decisionVersion: number;
    decidedAtMs: number;
    overriddenBy: string | null;
    overrideReason: string | null;
  }[];
  overrides: { overrideId: string; by: string; why: string; outcome: string; refusal: string | null }[];
}

/** The authorization `authorizationId`, or undefined if neither the route nor the processor knows it. Three reads, no transaction: each is a committed fact. */
export async function readAuthorization(db: SqlRunner, authorizationId: string): Promise<AuthorizationView | undefined> {
  const [request, decisions, overrides] = await Promise.all([
    db.query<{ account_id: string; amount_minor: bigint; currency: string }>(
      `select account_id, amount_minor, currency from authorization_requests where authorization_id = $1`,
      [authorizationId],
    ),
    db.query<{
      account_id: string;
      decision: string;
      basis: string;
      reason: string | null;
      state_version: bigint | null;
      decision_version: number;
      decided_at_ms: bigint;
      overridden_by: string | null;
      override_reason: string | null;
    }>(`select * from authorization_decisions where authorization_id = $1 order by decision_version`, [authorizationId]),
    db.query<{ override_id: string; requested_by: string; reason: string; outcome: string | null; refusal: string | null }>(
      `select override_id, requested_by, reason, outcome, refusal from authorization_overrides where authorization_id = $1 order by requested_at_ms, override_id`,
      [authorizationId],
    ),
  ]);
  const accountId = request.rows[0]?.account_id ?? decisions.rows[0]?.account_id;
  if (accountId === undefined) return undefined;
  return {
    authorizationId,
    accountId,
    amountMinor: request.rows[0]?.amount_minor ?? null,
    currency: request.rows[0]?.currency ?? null,
    decisions: decisions.rows.map((row) => ({
      decision: row.decision,
      basis: row.basis,
      reason: row.reason,
      stateVersion: row.state_version === null ? null : Number(row.state_version),
      decisionVersion: row.decision_version,
      decidedAtMs: Number(row.decided_at_ms),
      overriddenBy: row.overridden_by,
      overrideReason: row.override_reason,
    })),
    overrides: overrides.rows.map((row) => ({
      overrideId: row.override_id,
      by: row.requested_by,
      why: row.reason,
      outcome: row.outcome ?? 'PENDING',
      refusal: row.refusal,
    })),
  };
}
