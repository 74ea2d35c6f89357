import type { SqlRunner } from '../storage/database.ts';

/** One step or compensation of an instance, as an operator reads it. */
export interface SagaActivityView {
  /** The step's index in the definition. */
  step: number;
  name: string;
  /** Sends so far (a re-send after a timeout or a failed compensation counts). */
  attempts: number;
  firstSentAt: string;
  /** When it succeeded or failed for good; null while it waits. */
  endedAt: string | null;
  outcome: 'PENDING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'STUCK';
  /** The participant's reason, or why the orchestrator gave up. */
  reason: string | null;
}

export interface SagaInstanceView {
  sagaId: string;
  sagaType: string;
  status: string;
  createdAt: string;
  updatedAt: string;
  steps: SagaActivityView[];
  /** In the order they ran: the last completed step's first. */
  compensations: SagaActivityView[];
}

/** The instance view of `sagaId` from its history, or undefined when there is no such instance. */
export async function readSagaInstance(db: Pick<SqlRunner, 'query'>, sagaId: string): Promise<SagaInstanceView | undefined> {
  const instance = await db.query<{ saga_type: string; status: string; created_at: Date; updated_at: Date }>(
    `select saga_type, status, created_at, updated_at from saga_instances where saga_id = $1`,
    [sagaId],
  );
  const row = instance.rows[0];
  if (!row) return undefined;
  const history = await db.query<{
    event_type: string;
    step: number | null;
    name: string | null;
    attempt: number | null;
    detail: string | null;
    recorded_at: Date;
  }>(`select event_type, step, name, attempt, detail, recorded_at from saga_history where saga_id = $1 order by seq`, [sagaId]);
  const steps: SagaActivityView[] = [];
  const compensations: SagaActivityView[] = [];
  for (const fact of history.rows) {
    if (fact.step === null) continue;
    const list = fact.event_type.startsWith('Compensation') || fact.event_type === 'SagaStuck' ? compensations : steps;
    const at = fact.recorded_at.toISOString();
    let activity = list.find((item) => item.step === fact.step);
    if (!activity) {
      activity = { step: fact.step, name: fact.name ?? '', attempts: 0, firstSentAt: at, endedAt: null, outcome: 'PENDING', reason: null };
      list.push(activity);
    }
    switch (fact.event_type) {
      case 'StepSent':
      case 'CompensationSent':
        // Counted, not read from the fact: an operator's retry starts a compensation's attempts again at 1.
        activity.attempts += 1;
        break;
      case 'CompensationRetried':
        Object.assign(activity, { endedAt: null, outcome: 'PENDING', reason: fact.detail });
        break;
      case 'StepSucceeded':
      case 'CompensationSucceeded':
        Object.assign(activity, { endedAt: at, outcome: 'SUCCEEDED', reason: null });
        break;
      case 'StepTimedOut':
        activity.outcome = 'TIMED_OUT';
        break;
      case 'StepFailed':
        Object.assign(activity, { endedAt: at, outcome: 'FAILED', reason: fact.detail });
        break;
      case 'CompensationFailed':
        activity.reason = fact.detail;
        break;
      case 'SagaStuck':
        Object.assign(activity, { endedAt: at, outcome: 'STUCK', reason: fact.detail });
        break;
    }
  }
  // A timed-out send that was followed by another is pending again until that one is answered.
  for (const activity of steps) if (activity.outcome === 'TIMED_OUT' && activity.endedAt === null) activity.outcome = 'PENDING';
  return {
    sagaId,
    sagaType: row.saga_type,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    steps,
    compensations,
  };
}

/** One instance in a list: enough to pick it and read it whole. */
export interface SagaSummaryView {
  sagaId: string;
  sagaType: string;
  status: string;
  createdAt: string;
  updatedAt: string;
}

export interface SagaListQuery {
  status?: string;
  sagaType?: string;
  limit: number;
  /** The sort key (updatedAt in ISO 8601, sagaId) of the last instance of the previous page. */
  after?: readonly [string, string];
}

/**
 * Instances by last change, the longest unchanged first (a STUCK saga that has waited longest
 * heads the list), read with `limit + 1` rows so the caller knows whether a next page exists.
 */
export async function listSagaInstances(db: Pick<SqlRunner, 'query'>, query: SagaListQuery): Promise<SagaSummaryView[]> {
  const rows = await db.query<{ saga_id: string; saga_type: string; status: string; created_at: Date; updated_at: Date }>(
    `select saga_id, saga_type, status, created_at, updated_at from saga_instances
      where ($1::text is null or status = $1) and ($2::text is null or saga_type = $2)
        and ($3::timestamptz is null or (updated_at, saga_id) > ($3::timestamptz, $4::text))
      order by updated_at, saga_id limit $5`,
    [query.status ?? null, query.sagaType ?? null, query.after?.[0] ?? null, query.after?.[1] ?? null, query.limit + 1],
  );
  return rows.rows.map((row) => ({
    sagaId: row.saga_id,
    sagaType: row.saga_type,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }));
}
