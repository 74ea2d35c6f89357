/**
 * Crash tests with real processes and `kill -9`: a stage (consume → database write → outbox →
 * relay → produce) is killed at the moments where a naive consumer loses or duplicates effects.
 * Each ends with every effect applied exactly once and every output event published with one
 * event id (duplicates on the wire are allowed: consumers drop them by id).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, hasKafka, hasPostgres, kafkaBrokers, uniqueName, type TestDatabase } from '../support/engines.ts';
import { StageHarness, assertExactlyOnce, type Engine } from './stage-harness.ts';

const eventCount = 1000;
const crashesPerScenario = 3;

const engines: Engine[] = ['kafka', 'postgres'];

describe.each(engines)('crash tests on %s', (engine) => {
  let harness: StageHarness | undefined;
  let database: TestDatabase | undefined;

  afterEach(async () => {
    await harness?.close();
    await database?.drop();
    harness = undefined;
    database = undefined;
  });

  async function open(context: { skip: (note: string) => void }) {
    if (!hasPostgres() || (engine === 'kafka' && !hasKafka())) return context.skip('needs PostgreSQL and Kafka');
    database = await createTestDatabase('crash');
    harness = await StageHarness.open(
      engine,
      database.url,
      engine === 'kafka' ? kafkaBrokers() : [],
      uniqueName('c').replace(/[^a-z0-9]/g, ''),
    );
    await harness.publishInput(eventCount);
    return harness;
  }

  const points =
    engine === 'kafka' ? ['consumer.after-commit', 'relay.after-publish', 'mid-batch'] : ['consumer.after-commit', 'mid-batch'];

  it.for(points)('kill -9 at %s loses nothing and applies nothing twice', { timeout: 240_000 }, async (point, context) => {
    const h = await open(context);
    if (!h) return;
    for (let crash = 0; crash < crashesPerScenario; crash++) {
      const child = await h.startStage({ point, after: 1 + Math.floor(Math.random() * 3) });
      const ended = await h.exitOf(child, 60_000);
      expect(ended, `stage ${crash} should have crashed at ${point}`).toBe('SIGKILL');
    }
    await h.startStage(undefined);
    await assertExactlyOnce(h, eventCount);
  });

  it('kill -9 of members while others join and leave the group', { timeout: 300_000 }, async (context) => {
    const h = await open(context);
    if (!h) return;
    const members = [await h.startStage(undefined, 20), await h.startStage(undefined, 20)];
    for (let round = 0; round < 4; round++) {
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.random() * 1500));
      const victim = members.splice(Math.floor(Math.random() * members.length), 1)[0]!;
      victim.kill('SIGKILL');
      members.push(await h.startStage(undefined, 20));
    }
    await assertExactlyOnce(h, eventCount);
  });
});
