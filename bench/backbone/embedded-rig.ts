/**
 * The embedded engine as `npm start` runs it: PGlite in a worker thread (PgliteWorkerDatabase) on
 * a data directory on disk, the event log in its tables, the log as the outbox (no relay). The
 * stage runs in this process, because a PGlite database belongs to the process that opened it: it
 * shares the one database connection with the driver, as services share it in `npm start`.
 * `--pglite in-process` puts PGlite on the main thread instead (PgliteDatabase), to compare: no
 * copying between threads, but the event loop is PGlite's while a backlog lasts.
 */
import { PgliteWorkerDatabase } from '../../src/backbone/storage-pglite/pglite-worker-database.ts';
import { PgliteDatabase } from '../../src/backbone/storage-pglite/pglite-database.ts';
import type { Database } from '../../src/backbone/storage/database.ts';
import { PostgresLogBus } from '../../src/backbone/messaging-postgres/postgres-log-bus.ts';
import { PostgresLogTopicAdmin } from '../../src/backbone/messaging-postgres/topic-admin.ts';
import { LogOutbox } from '../../src/backbone/messaging-postgres/log-outbox.ts';
import { capReplication, defineTopic } from '../../src/backbone/topics/define-topic.ts';
import { withFailureTopics } from '../../src/backbone/topics/failure-topics.ts';
import { ensureTopics } from '../../src/backbone/topics/apply-topics.ts';
import { createTempDir, type Cleanup } from '../support/environment.ts';
import { CpuAccount, type CpuSample } from '../support/cpu.ts';
import { progress } from '../support/progress.ts';
import { countTransactions, StageCounters } from './instruments.ts';
import { createStageRunner, migrateStage, type StageSpec } from './stage.ts';
import type { Rig, RigSettings, RunningStage } from './rig.ts';

export class EmbeddedRig implements Rig {
  readonly engine = 'embedded' as const;
  readonly bus: PostgresLogBus;
  readonly #db: Database;
  readonly #settings: RigSettings;
  readonly #cpu = new CpuAccount();

  private constructor(db: Database, bus: PostgresLogBus, settings: RigSettings) {
    this.#db = db;
    this.bus = bus;
    this.#settings = settings;
  }

  static async open(settings: RigSettings, cleanup: Cleanup): Promise<EmbeddedRig> {
    const dir = await createTempDir('ps-bench-pglite-');
    cleanup.add(`removing ${dir.path}`, () => dir.remove());
    progress(
      `embedded engine: PGlite ${settings.pglite === 'worker' ? 'in a worker thread' : 'on the main thread'}, data directory ${dir.path}`,
    );
    const db =
      settings.pglite === 'worker'
        ? await PgliteWorkerDatabase.open({ dataDir: dir.path })
        : await PgliteDatabase.open({ dataDir: dir.path });
    cleanup.add('closing PGlite', () => db.close());
    const bus = await PostgresLogBus.open({ db });
    cleanup.add('closing the driver bus', () => bus.close());
    await migrateStage(db);
    return new EmbeddedRig(db, bus, settings);
  }

  async createTopics(names: readonly string[]): Promise<void> {
    const specs = names.flatMap((name) =>
      withFailureTopics(defineTopic({ name, partitions: this.#settings.partitions }), { retryDelaysMs: [] }),
    );
    await ensureTopics(new PostgresLogTopicAdmin(this.#db), capReplication(specs, 1));
  }

  /** The stage gets a bus of its own, over the transaction-counting database, that it closes when it stops. */
  async startStage(spec: StageSpec): Promise<RunningStage> {
    const counters = new StageCounters();
    const db = countTransactions(this.#db, counters);
    const bus = await PostgresLogBus.open({ db });
    const runner = createStageRunner({ db, bus, outbox: new LogOutbox(bus) }, spec, counters);
    await runner.start();
    return {
      stats: () => counters.snapshot(),
      stop: async () => {
        await runner.stop();
        await bus.close();
        return counters.snapshot();
      },
    };
  }

  async countEffects(group: string): Promise<number> {
    const { rows } = await this.#db.query<{ n: bigint }>(`select count(*)::int8 as n from bench_effects where consumer = $1`, [group]);
    return Number(rows[0]!.n);
  }

  /** One process does it all: the stage, the driver, and PGlite in its worker thread. */
  sampleCpu(): Promise<CpuSample> {
    return Promise.resolve(this.#cpu.sample({ 'process (stage, driver, PGlite)': [process.pid] }));
  }

  async close(): Promise<void> {
    // The cleanup closes the bus and PGlite and removes the data directory.
  }
}
