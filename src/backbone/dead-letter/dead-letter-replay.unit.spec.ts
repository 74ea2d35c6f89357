import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { embeddedFixture, eventually, type EmbeddedFixture } from '../testing/embedded-fixture.ts';
import { ConsumerRunner } from '../consumer/consumer-runner.ts';
import { migrate } from '../storage/migrate.ts';
import { permanentError } from '../errors.ts';
import { deadLetterMigrations } from './schema.ts';
import { DeadLetterReplay } from './dead-letter-replay.ts';

describe('dead-letter replay', () => {
  let fx: EmbeddedFixture;
  let replay: DeadLetterReplay;
  const runners: ConsumerRunner[] = [];

  beforeEach(async () => {
    fx = await embeddedFixture();
    await migrate(fx.db, 'dead-letter', deadLetterMigrations);
    await fx.db.exec(`create table applied (consumer text, seq int)`);
    await fx.createTopic('test.events.v1', 2);
    replay = new DeadLetterReplay({ bus: fx.bus, db: fx.db, clock: fx.deps.clock, ids: fx.deps.ids });
  });

  afterEach(async () => {
    await Promise.all(runners.splice(0).map((runner) => runner.stop()));
    await fx.close();
  });

  async function start(name: string, isBroken: () => boolean) {
    const runner = new ConsumerRunner(fx.deps, {
      name,
      topics: ['test.events.v1'],
      handler: async (event, { tx }) => {
        const { seq } = event.payload as { seq: number };
        if (isBroken() && seq % 2 === 0) throw permanentError(`bug: cannot handle even seq ${seq}`);
        await tx.query(`insert into applied values ($1, $2)`, [name, seq]);
      },
    });
    runners.push(runner);
    await runner.start();
  }

  const applied = async (name: string) =>
    (await fx.db.query<{ seq: number }>(`select seq from applied where consumer = $1 order by seq`, [name])).rows.map((r) => r.seq);

  it('after a fix, replays to one consumer group only, once, and records the replay', async () => {
    let broken = true;
    await start('ledger', () => broken);
    await start('audit', () => false);
    await fx.publish(Array.from({ length: 6 }, (_, seq) => ({ topic: 'test.events.v1', eventType: 'test.event', key: `k${seq}`, payload: { seq } })));
    await eventually(async () => (await applied('ledger')).length === 3 && (await applied('audit')).length === 6, 'odd events applied by ledger, all by audit');

    const listed = await replay.list({ topic: 'test.events.v1', consumer: 'ledger' });
    expect(listed.map((l) => l.key).sort()).toEqual(['k0', 'k2', 'k4']);
    expect(listed.every((l) => l.errorCode === 'HANDLER_REJECTED' && l.reason.startsWith('bug:'))).toBe(true);

    const dry = await replay.replay({ filter: { topic: 'test.events.v1', consumer: 'ledger', key: 'k2' }, operator: 'ops@bank', reason: 'check', dryRun: true });
    expect(dry.letters.map((l) => l.key)).toEqual(['k2']);
    expect(dry.replayId).toBeUndefined();

    broken = false; // the fix is deployed
    const done = await replay.replay({ filter: { topic: 'test.events.v1', consumer: 'ledger' }, operator: 'ops@bank', reason: 'fix for even seq deployed', dryRun: false });
    expect(done.letters).toHaveLength(3);
    await eventually(async () => (await applied('ledger')).length === 6, 'replayed events applied');
    expect(await applied('ledger')).toEqual([0, 1, 2, 3, 4, 5]);

    // A second replay finds nothing left; forcing it anyway applies nothing twice.
    expect((await replay.replay({ filter: { topic: 'test.events.v1', consumer: 'ledger' }, operator: 'ops@bank', reason: 'again', dryRun: false })).letters).toHaveLength(0);
    await replay.replay({ filter: { topic: 'test.events.v1', consumer: 'ledger', includeReplayed: true }, operator: 'ops@bank', reason: 'forced', dryRun: false });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await applied('ledger')).toEqual([0, 1, 2, 3, 4, 5]);
    // The other group never saw the replays as new work.
    expect(await applied('audit')).toEqual([0, 1, 2, 3, 4, 5]);
    const recorded = await fx.db.query<{ operator: string; reason: string; letters: number }>(`select operator, reason, letters from dlq_replays order by replayed_at`);
    expect(recorded.rows.map((r) => r.letters)).toEqual([3, 3]);
    expect(recorded.rows[0]!.reason).toBe('fix for even seq deployed');
  });
});
