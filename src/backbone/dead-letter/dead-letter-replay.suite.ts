/** Dead-letter replay, written once and run on each engine (see the .unit and .int specs). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eventually, type BackboneFixture } from '../testing/embedded-fixture.ts';
import { ConsumerRunner } from '../consumer/consumer-runner.ts';
import { permanentError } from '../errors.ts';
import { DeadLetterReplay, deadLetterReviewGroupId } from './dead-letter-replay.ts';

export function deadLetterReplaySuite(engine: string, makeFixture: () => Promise<BackboneFixture>): void {
  describe(`dead-letter replay on ${engine}`, () => {
    let fx: BackboneFixture;
    let events: string;
    let replay: DeadLetterReplay;
    const runners: ConsumerRunner[] = [];

    beforeEach(async () => {
      fx = await makeFixture();
      events = fx.topicName('events');
      await fx.db.exec(`create table applied (consumer text, seq int)`);
      await fx.createTopic(events, 2);
      replay = new DeadLetterReplay({ bus: fx.bus, db: fx.db, clock: fx.deps.clock, ids: fx.deps.ids });
    });

    afterEach(async () => {
      await Promise.all(runners.splice(0).map((runner) => runner.stop()));
      await fx.close();
    });

    async function start(name: string, isBroken: () => boolean) {
      const runner = new ConsumerRunner(fx.deps, {
        name,
        topics: [events],
        handler: async (event, { tx }) => {
          const { seq } = event.payload as { seq: number };
          if (isBroken() && seq % 2 === 0) throw permanentError(`bug: cannot handle even seq ${seq}`);
          await tx.query(`insert into applied values ($1, $2)`, [name, seq]);
        },
      });
      runners.push(runner);
      await runner.start();
    }

    /** Whether `consumer` has consumed everything on the topic so far (so an absence means something). */
    async function caughtUp(consumer: string): Promise<boolean> {
      const ends = await fx.bus.endOffsets(events);
      const stored = await fx.db.query<{ partition: number; next_offset: bigint }>(
        `select partition, next_offset from consumer_positions where consumer = $1 and topic = $2`,
        [consumer, events],
      );
      const positions = new Map(stored.rows.map((row) => [row.partition, row.next_offset]));
      return [...ends].every(([partition, end]) => end === 0n || positions.get(partition) === end);
    }

    const applied = async (name: string) =>
      (await fx.db.query<{ seq: number }>(`select seq from applied where consumer = $1 order by seq`, [name])).rows.map((r) => r.seq);

    it("acknowledges the letters written so far: the review group's lag (paystream_dlq_depth) drops to 0 and counts only later letters", async () => {
      await start('ledger', () => true);
      const dlq = `${events}.dlq`;
      const reviewLag = async () => {
        const [ends, committed] = await Promise.all([fx.bus.endOffsets(dlq), fx.bus.committedOffsets(deadLetterReviewGroupId, dlq)]);
        return [...ends].reduce((sum, [partition, end]) => sum + end - (committed.get(partition) ?? 0n), 0n);
      };
      await fx.publish(
        Array.from({ length: 4 }, (_, seq) => ({ topic: events, eventType: 'test.event', key: `k${seq}`, payload: { seq } })),
      );
      await eventually(async () => (await reviewLag()) === 2n, 'two dead letters');

      expect(await replay.acknowledge(events)).toBe(2);
      expect(await reviewLag()).toBe(0n);
      expect(await replay.acknowledge(events)).toBe(0);
      expect(await replay.list({ topic: events, consumer: 'ledger' })).toHaveLength(2); // still there to replay

      await fx.publish([{ topic: events, eventType: 'test.event', key: 'k9', payload: { seq: 10 } }]);
      await eventually(async () => (await reviewLag()) === 1n, 'the later dead letter');
    });

    it('after a fix, replays to one consumer group only, once, and records the replay', async () => {
      let broken = true;
      await start('ledger', () => broken);
      await start('audit', () => false);
      await fx.publish(
        Array.from({ length: 6 }, (_, seq) => ({ topic: events, eventType: 'test.event', key: `k${seq}`, payload: { seq } })),
      );
      await eventually(
        async () => (await applied('ledger')).length === 3 && (await applied('audit')).length === 6,
        'odd events applied by ledger, all by audit',
      );

      // Dead letters travel through the outbox (and on Kafka, the relay): they arrive shortly after.
      await eventually(async () => (await replay.list({ topic: events, consumer: 'ledger' })).length === 3, 'three dead letters');
      const listed = await replay.list({ topic: events, consumer: 'ledger' });
      expect(listed.map((l) => l.key).sort()).toEqual(['k0', 'k2', 'k4']);
      expect(listed.every((l) => l.errorCode === 'HANDLER_REJECTED' && l.reason.startsWith('bug:'))).toBe(true);

      const dry = await replay.replay({
        filter: { topic: events, consumer: 'ledger', key: 'k2' },
        operator: 'ops@bank',
        reason: 'check',
        dryRun: true,
      });
      expect(dry.letters.map((l) => l.key)).toEqual(['k2']);
      expect(dry.replayId).toBeUndefined();

      broken = false; // the fix is deployed
      const done = await replay.replay({
        filter: { topic: events, consumer: 'ledger' },
        operator: 'ops@bank',
        reason: 'fix for even seq deployed',
        dryRun: false,
      });
      expect(done.letters).toHaveLength(3);
      await eventually(async () => (await applied('ledger')).length === 6, 'replayed events applied');
      expect(await applied('ledger')).toEqual([0, 1, 2, 3, 4, 5]);

      // A second replay finds nothing left; forcing it anyway applies nothing twice.
      expect(
        (await replay.replay({ filter: { topic: events, consumer: 'ledger' }, operator: 'ops@bank', reason: 'again', dryRun: false }))
          .letters,
      ).toHaveLength(0);
      await replay.replay({
        filter: { topic: events, consumer: 'ledger', includeReplayed: true },
        operator: 'ops@bank',
        reason: 'forced',
        dryRun: false,
      });
      await eventually(() => caughtUp('ledger'), 'ledger to consume the forced replay');
      await eventually(() => caughtUp('audit'), 'audit to skip the forced replay');
      expect(await applied('ledger')).toEqual([0, 1, 2, 3, 4, 5]);
      // The other group never saw the replays as new work.
      expect(await applied('audit')).toEqual([0, 1, 2, 3, 4, 5]);
      const recorded = await fx.db.query<{ operator: string; reason: string; letters: number }>(
        `select operator, reason, letters from dlq_replays order by replayed_at`,
      );
      expect(recorded.rows.map((r) => r.letters)).toEqual([3, 3]);
      expect(recorded.rows[0]!.reason).toBe('fix for even seq deployed');
    });
  });
}
