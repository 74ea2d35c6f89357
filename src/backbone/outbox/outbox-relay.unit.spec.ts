import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PgliteDatabase } from '../storage-pglite/pglite-database.ts';
import { migrate } from '../storage/migrate.ts';
import { PostgresLogBus } from '../messaging-postgres/postgres-log-bus.ts';
import { PostgresLogTopicAdmin } from '../messaging-postgres/topic-admin.ts';
import { readTopic, eventually } from '../testing/embedded-fixture.ts';
import { outboxMigrations, outboxTableSql, type OutboxTable } from './migrations.ts';
import { TableOutbox } from './table-outbox.ts';
import { OutboxRelay } from './outbox-relay.ts';

// The relay publishes from the outbox table to a bus. Here the target bus is the table log in a
// second PGlite database, so the test needs no broker; the relay cannot tell the difference.
describe('OutboxRelay', () => {
  let source: PgliteDatabase;
  let target: PgliteDatabase;
  let bus: PostgresLogBus;
  let relay: OutboxRelay | undefined;

  beforeEach(async () => {
    source = await PgliteDatabase.open();
    target = await PgliteDatabase.open();
    await migrate(source, 'outbox', outboxMigrations);
    bus = await PostgresLogBus.open({ db: target });
    await new PostgresLogTopicAdmin(target).createTopics([
      {
        name: 'test.out.v1',
        partitions: 2,
        replicationFactor: 1,
        minInsyncReplicas: 1,
        retentionMs: -1,
        cleanupPolicy: 'delete',
        compression: 'producer',
      },
    ]);
  });

  afterEach(async () => {
    await relay?.stop();
    await bus.close();
    await source.close();
    await target.close();
  });

  const message = (key: string, value: string) => ({
    topic: 'test.out.v1',
    key: Buffer.from(key),
    value: Buffer.from(value),
    headers: { h: Buffer.from(value) },
  });

  it('is woken by the writing transaction, not by polling, and keeps per-key order', async () => {
    // An idle poll of an hour: anything published within the test was woken by NOTIFY.
    relay = new OutboxRelay({ db: source, bus, idlePollMs: 3_600_000, batchRows: 7 });
    relay.start();
    const outbox = new TableOutbox();
    for (let i = 0; i < 5; i++) {
      await source.transaction((tx) =>
        outbox.write(
          tx,
          Array.from({ length: 10 }, (_, j) => message(`k${j % 3}`, `${i * 10 + j}`)),
        ),
      );
    }
    await eventually(
      async () => (await relay!.backlog()).rows === 0n && (await readTopic(bus, 'test.out.v1')).length === 50,
      'all 50 published',
    );
    const records = await readTopic(bus, 'test.out.v1');
    for (const key of ['k0', 'k1', 'k2']) {
      const values = records.filter((r) => r.key!.toString() === key).map((r) => Number(r.value!.toString()));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
    for (const record of records) expect(record.headers['h']!.toString()).toBe(record.value!.toString());
  });

  it('stores a write of many messages as given, in order: keys, values, headers and tombstones', async () => {
    const outbox = new TableOutbox();
    const messages = [message('a', '1'), { topic: 'test.out.v1', key: Buffer.from([0, 255, 92, 120]), value: null }, message('c', '3')];
    await source.transaction((tx) => outbox.write(tx, messages));
    const rows = await source.query<{ key: Uint8Array; value: Uint8Array | null; headers: unknown }>(
      'select key, value, headers from outbox order by id',
    );
    expect(
      rows.rows.map((row) => [Buffer.from(row.key).toString('hex'), row.value === null ? null : Buffer.from(row.value).toString()]),
    ).toEqual([
      ['61', '1'],
      ['00ff5c78', null],
      ['63', '3'],
    ]);
    expect(rows.rows[1]!.headers).toEqual({});
  });

  it('drains in rounds of batchRows and deletes every row it published, the last round included', async () => {
    const outbox = new TableOutbox();
    await source.transaction((tx) =>
      outbox.write(
        tx,
        Array.from({ length: 25 }, (_, i) => message(`k${i % 4}`, `${i}`)),
      ),
    );
    const published: number[] = [];
    const drained = await new OutboxRelay({
      db: source,
      bus,
      batchRows: 10,
      onPublished: (messages) => published.push(messages.length),
    }).drain();
    expect(drained).toBe(25);
    expect(published).toEqual([10, 10, 5]);
    expect((await new OutboxRelay({ db: source, bus }).backlog()).rows).toBe(0n);
    expect((await readTopic(bus, 'test.out.v1')).map((r) => Number(r.value!.toString())).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 25 }, (_, i) => i),
    );
  });

  it('stands by while another relay holds the lock, and takes over when it stops', async () => {
    const outbox = new TableOutbox();
    relay = new OutboxRelay({ db: source, bus, idlePollMs: 3_600_000 });
    relay.start();
    const standby = new OutboxRelay({ db: source, bus, idlePollMs: 50 });
    standby.start();
    try {
      await source.transaction((tx) => outbox.write(tx, [message('k', 'first')]));
      await eventually(async () => (await readTopic(bus, 'test.out.v1')).length === 1, 'published by the active relay');
      await relay.stop();
      relay = undefined;
      await source.transaction((tx) => outbox.write(tx, [message('k', 'second')]));
      await eventually(async () => (await readTopic(bus, 'test.out.v1')).length === 2, 'published by the relay that took over');
      expect((await readTopic(bus, 'test.out.v1')).map((r) => r.value!.toString())).toEqual(['first', 'second']);
    } finally {
      await standby.stop();
    }
  });

  it('keeps standing by while the database refuses it at startup, then publishes', async () => {
    let refusals = 2;
    // The relay's database, failing its first LISTENs as a database still starting up would.
    const starting = new Proxy(source, {
      get(target, property) {
        if (property === 'listen' && refusals > 0) {
          return async () => {
            refusals -= 1;
            throw new Error('the database system is starting up');
          };
        }
        const value = Reflect.get(target, property, target) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const errors: unknown[] = [];
    relay = new OutboxRelay({ db: starting, bus, idlePollMs: 3_600_000, failureBackoffMs: 10, onError: (error) => errors.push(error) });
    relay.start();
    await new TableOutbox().write(source, [message('k', 'after the outage')]);
    await eventually(async () => (await readTopic(bus, 'test.out.v1')).length === 1, 'published once the database answered');
    expect(errors.map((error) => (error as Error).message)).toEqual([
      'the database system is starting up',
      'the database system is starting up',
    ]);
  });

  it('relays an outbox table of its own, woken on its own channel, and leaves the bus outbox to its relay', async () => {
    const commands: OutboxTable = { table: 'test_command_outbox', channel: 'test_command_outbox', lockName: 'test-command-relay' };
    await source.exec(outboxTableSql(commands.table));
    relay = new OutboxRelay({ db: source, bus, idlePollMs: 3_600_000, outbox: commands });
    relay.start();
    await source.transaction(async (tx) => {
      await new TableOutbox(commands).write(tx, [message('k', 'command')]);
      await new TableOutbox().write(tx, [message('k', 'event')]);
    });
    await eventually(async () => (await readTopic(bus, 'test.out.v1')).length === 1, 'the command relayed');
    expect((await readTopic(bus, 'test.out.v1')).map((r) => r.value!.toString())).toEqual(['command']);
    expect((await relay.backlog()).rows).toBe(0n);
    expect((await new OutboxRelay({ db: source, bus }).backlog()).rows).toBe(1n);
    expect(() => new TableOutbox({ table: 'outbox; drop table outbox', channel: 'x' })).toThrow(/identifier/);
  });

  it('publishes nothing that was rolled back', async () => {
    relay = new OutboxRelay({ db: source, bus, idlePollMs: 3_600_000 });
    relay.start();
    const outbox = new TableOutbox();
    await expect(
      source.transaction(async (tx) => {
        await outbox.write(tx, [message('k', 'rolled-back')]);
        throw new Error('business rule failed');
      }),
    ).rejects.toThrow('business rule failed');
    await source.transaction((tx) => outbox.write(tx, [message('k', 'committed')]));
    await eventually(async () => (await readTopic(bus, 'test.out.v1')).length === 1, 'the committed message');
    expect((await readTopic(bus, 'test.out.v1')).map((r) => r.value!.toString())).toEqual(['committed']);
  });

  it('reports its backlog and keeps rows when the bus refuses them', async () => {
    const outbox = new TableOutbox();
    await source.transaction((tx) => outbox.write(tx, [message('k', 'a'), message('k', 'b')]));
    const backlog = await new OutboxRelay({ db: source, bus }).backlog();
    expect(backlog.rows).toBe(2n);
    // A topic the bus does not know: publishing fails, nothing is deleted, the relay retries.
    await source.transaction((tx) => outbox.write(tx, [{ ...message('k', 'c'), topic: 'test.missing.v1' }]));
    const errors: unknown[] = [];
    relay = new OutboxRelay({ db: source, bus, failureBackoffMs: 10, onError: (error) => errors.push(error) });
    relay.start();
    await eventually(() => errors.length >= 2, 'two failed rounds');
    expect((await relay.backlog()).rows).toBe(3n);
  });
});
