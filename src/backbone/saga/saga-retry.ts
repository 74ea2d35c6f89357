import type { Database } from '../storage/database.ts';
import { commandIdOf, evolveSaga, type SagaEvent, type SagaState } from './definition.ts';
import { parseSagaJson, stringifySagaJson } from './saga-json.ts';

export interface SagaRetryRequest {
  /** Who retries (recorded in the history). */
  operator: string;
  /** Why: what was fixed (recorded in the history). */
  reason: string;
  /** Now, in milliseconds of the orchestrator's clock: the compensation is sent at the timer worker's next round. */
  nowMs: number;
}

export type SagaRetryResult = 'retried' | 'not-found' | 'not-stuck';

/**
 * An operator's way out of STUCK: once the cause of a failing compensation is fixed (an account
 * unlocked, a participant deployed again), the compensation is sent again, a fresh series of
 * `compensation.maxAttempts` sends with the same command id, and the saga goes on compensating
 * from there. Nothing is skipped: the compensation that failed is the one retried.
 *
 * It needs no definition, so any process that reaches the saga tables serves it: it records
 * `CompensationRetried` and arms the instance's timer for now; the orchestrator of the saga's type
 * fires it and sends the command, in its own process, exactly as after a backoff.
 */
export async function retryStuckSaga(db: Database, sagaId: string, request: SagaRetryRequest): Promise<SagaRetryResult> {
  return db.transaction(async (tx) => {
    const found = await tx.query<{ state: string; status: string }>(
      `select state, status from saga_instances where saga_id = $1 for update`,
      [sagaId],
    );
    const row = found.rows[0];
    if (!row) return 'not-found';
    if (row.status !== 'STUCK') return 'not-stuck';
    const state = parseSagaJson(row.state) as SagaState;
    const retried: SagaEvent = { type: 'CompensationRetried', step: state.stepIndex, reason: `by ${request.operator}: ${request.reason}` };
    const next = evolveSaga(state, retried);
    const now = new Date(request.nowMs);
    await tx.query(`update saga_instances set status = $2, state = $3, updated_at = $4 where saga_id = $1`, [
      sagaId,
      next.status,
      stringifySagaJson(next),
      now,
    ]);
    // The compensation's name as the history already has it (the STUCK fact names it).
    await tx.query(
      `insert into saga_history (saga_id, seq, event_type, step, name, attempt, detail, recorded_at)
       select $1, max(seq) + 1, 'CompensationRetried', $2,
              (select name from saga_history where saga_id = $1 and event_type = 'SagaStuck' order by seq desc limit 1), null, $3, $4
         from saga_history where saga_id = $1`,
      [sagaId, retried.step, retried.reason, now],
    );
    await tx.query(
      `insert into saga_timers (saga_id, command_id, attempt, due_at_ms) values ($1, $2, $3, $4)
       on conflict (saga_id) do update set command_id = excluded.command_id, attempt = excluded.attempt, due_at_ms = excluded.due_at_ms`,
      [sagaId, commandIdOf(sagaId, state.stepIndex, 'compensation'), next.attempt, request.nowMs],
    );
    return 'retried';
  });
}
