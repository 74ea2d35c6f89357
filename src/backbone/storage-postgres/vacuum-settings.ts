import type { SqlRunner } from '../storage/database.ts';

/** The two server settings PostgreSQL's autovacuum needs, as the server reports them ('on' / 'off'). */
export interface VacuumSettings {
  autovacuum: string;
  trackCounts: string;
}

export async function readVacuumSettings(db: SqlRunner): Promise<VacuumSettings> {
  const result = await db.query<{ autovacuum: string; track_counts: string }>(
    `select current_setting('autovacuum') as autovacuum, current_setting('track_counts') as track_counts`,
  );
  const row = result.rows[0]!;
  return { autovacuum: row.autovacuum, trackCounts: row.track_counts };
}

/**
 * Why this server will not vacuum or analyse paystream's tables by itself, or undefined when it
 * will. The platform relies on autovacuum: the outbox and the audit trail's staging table take
 * and lose thousands of rows a second, consumer positions, balances and statuses are updated on
 * every batch, and without ANALYZE the planner keeps an empty table's guesses for tables that
 * grew (the embedded engine runs its own, `EmbeddedAutovacuum`, since PGlite has no daemon).
 */
export function autovacuumProblem(settings: VacuumSettings): string | undefined {
  const off = [
    settings.autovacuum !== 'on' ? `autovacuum = ${settings.autovacuum}` : undefined,
    settings.trackCounts !== 'on' ? `track_counts = ${settings.trackCounts}` : undefined,
  ].filter((part) => part !== undefined);
  if (off.length === 0) return undefined;
  return (
    `this PostgreSQL server will not vacuum or analyse paystream's tables (${off.join(', ')}): the outbox, the audit staging table and the ` +
    `consumer positions will bloat and the planner will keep stale statistics; turn autovacuum on, or run VACUUM (ANALYZE) on a schedule`
  );
}
