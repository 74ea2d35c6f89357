import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../storage-pglite/index.ts';
import { migrate } from '../storage/migrate.ts';
import { rabbitCommandChannelMigrations } from './migrations.ts';
import { handledCommandsRetentionMsDefault, pruneHandledCommands } from './pruning.ts';

describe('pruneHandledCommands', () => {
  let db: PgliteDatabase;
  const nowMs = Date.parse('2026-03-10T12:00:00Z');
  beforeAll(async () => {
    db = await PgliteDatabase.open();
  });
  afterAll(() => db?.close());

  it('does nothing where the channel has no tables', async () => {
    expect(await pruneHandledCommands(db, nowMs)).toBe(0);
  });

  it('forgets the commands handled before the window, and keeps the others', async () => {
    await migrate(db, 'saga-rabbitmq', rabbitCommandChannelMigrations);
    const at = (ageMs: number) => new Date(nowMs - ageMs);
    for (const [commandId, ageMs] of [
      ['old', handledCommandsRetentionMsDefault + 1],
      ['edge', handledCommandsRetentionMsDefault],
      ['recent', 60_000],
    ] as const) {
      await db.query(
        `insert into saga_command_handled (participant, event_id, command_id, attempt, handled_at) values ('p', $1, $1, 1, $2)`,
        [commandId, at(ageMs)],
      );
    }
    expect(await pruneHandledCommands(db, nowMs)).toBe(1);
    const left = await db.query<{ command_id: string }>(`select command_id from saga_command_handled order by command_id`);
    expect(left.rows.map((row) => row.command_id)).toEqual(['edge', 'recent']);
  });
});
