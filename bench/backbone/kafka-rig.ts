/**
 * The Kafka engine: the broker in KAFKA_BROKERS, a scratch database on the PostgreSQL server in
 * DATABASE_URL, and the stage as a child process (stage-process.ts), as a service runs: its CPU
 * is its own, not shared with the load generator.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { KafkaEventBus } from '../../src/backbone/messaging-kafka/kafka-event-bus.ts';
import { KafkaTopicAdmin } from '../../src/backbone/messaging-kafka/kafka-topic-admin.ts';
import type { KafkaEventBusOptions } from '../../src/backbone/messaging-kafka/options.ts';
import { PostgresDatabase } from '../../src/backbone/storage-postgres/postgres-database.ts';
import { migrate } from '../../src/backbone/storage/migrate.ts';
import { outboxMigrations } from '../../src/backbone/outbox/migrations.ts';
import { capReplication, defineTopic } from '../../src/backbone/topics/define-topic.ts';
import { withFailureTopics } from '../../src/backbone/topics/failure-topics.ts';
import { ensureTopics } from '../../src/backbone/topics/apply-topics.ts';
import { assertKafkaReachable, createScratchDatabase, type Cleanup } from '../support/environment.ts';
import { CpuAccount, type CpuSample } from '../support/cpu.ts';
import { progress } from '../support/progress.ts';
import { emptyStats, type StageStats } from './instruments.ts';
import { migrateStage, type StageSpec } from './stage.ts';
import type { StageProcessConfig, StageProcessMessage } from './stage-process.ts';
import type { Rig, RigSettings, RunningStage } from './rig.ts';

const stageScript = fileURLToPath(new URL('./stage-process.ts', import.meta.url));

export class KafkaRig implements Rig {
  readonly engine = 'kafka' as const;
  readonly bus: KafkaEventBus;
  readonly #admin: KafkaTopicAdmin;
  readonly #db: PostgresDatabase;
  readonly #databaseName: string;
  readonly #databaseUrl: string;
  readonly #kafka: KafkaEventBusOptions;
  readonly #settings: RigSettings;
  readonly #topics: string[] = [];
  readonly #cpu = new CpuAccount();
  #stagePid: number | undefined;

  private constructor(kafka: KafkaEventBusOptions, databaseName: string, databaseUrl: string, settings: RigSettings) {
    this.#kafka = kafka;
    this.#databaseName = databaseName;
    this.#databaseUrl = databaseUrl;
    this.#settings = settings;
    this.bus = new KafkaEventBus({ ...kafka, clientId: 'bench-driver' });
    this.#admin = new KafkaTopicAdmin(kafka);
    this.#db = new PostgresDatabase({ connectionString: databaseUrl, poolSize: 2, applicationName: 'bench-driver' });
  }

  static async open(brokers: string[], databaseServerUrl: string, settings: RigSettings, cleanup: Cleanup): Promise<KafkaRig> {
    await assertKafkaReachable(brokers);
    const scratch = await createScratchDatabase(databaseServerUrl);
    cleanup.add(`dropping database ${scratch.name}`, () => scratch.drop());
    progress(`kafka engine: brokers ${brokers.join(',')}, scratch database ${scratch.name}`);
    const kafka: KafkaEventBusOptions = {
      bootstrapBrokers: brokers,
      ...(settings.fetchMaxWaitMs === undefined ? {} : { fetchMaxWaitMs: settings.fetchMaxWaitMs }),
    };
    const rig = new KafkaRig(kafka, scratch.name, scratch.url, settings);
    cleanup.add('closing the driver', () => rig.close());
    await migrateStage(rig.#db);
    await migrate(rig.#db, 'outbox', outboxMigrations);
    return rig;
  }

  async createTopics(names: readonly string[]): Promise<void> {
    const specs = names.flatMap((name) =>
      withFailureTopics(defineTopic({ name, partitions: this.#settings.partitions }), { retryDelaysMs: [] }),
    );
    await ensureTopics(this.#admin, capReplication(specs, 1));
    this.#topics.push(...specs.map((spec) => spec.name));
  }

  async startStage(spec: StageSpec): Promise<RunningStage> {
    const child = fork(stageScript, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const stage = new ChildStage(child);
    const config: StageProcessConfig = {
      spec,
      databaseUrl: this.#databaseUrl,
      poolSize: this.#settings.poolSize,
      relayBatchRows: this.#settings.relayBatchRows,
      kafka: this.#kafka,
    };
    child.send(config);
    try {
      await stage.ready;
    } catch (error) {
      await stage.stop().catch(() => {});
      throw error;
    }
    this.#stagePid = child.pid;
    return stage;
  }

  async countEffects(group: string): Promise<number> {
    const { rows } = await this.#db.query<{ n: bigint }>(`select count(*)::int8 as n from bench_effects where consumer = $1`, [group]);
    return Number(rows[0]!.n);
  }

  /** The stage's process, the PostgreSQL backends serving the scratch database, this driver; the broker is in the rest. */
  async sampleCpu(): Promise<CpuSample> {
    const { rows } = await this.#db.query<{ pid: number }>(`select pid from pg_stat_activity where datname = $1`, [this.#databaseName]);
    return this.#cpu.sample({
      stage: this.#stagePid === undefined ? [] : [this.#stagePid],
      postgres: rows.map((row) => row.pid),
      driver: [process.pid],
    });
  }

  async close(): Promise<void> {
    if (this.#topics.length > 0) await this.#admin.deleteTopics(this.#topics.splice(0)).catch(() => {});
    await this.bus.close();
    await this.#admin.close();
    await this.#db.close();
  }
}

/** The driver's handle on the forked stage process. */
class ChildStage implements RunningStage {
  readonly ready: Promise<void>;
  readonly #child: ChildProcess;
  readonly #stopped = Promise.withResolvers<StageStats>();
  #latest: StageStats = emptyStats;

  constructor(child: ChildProcess) {
    this.#child = child;
    const ready = Promise.withResolvers<void>();
    this.ready = ready.promise;
    child.on('message', (raw) => {
      const message = raw as StageProcessMessage;
      if (message.type === 'ready') ready.resolve();
      else if (message.type === 'stats') this.#latest = message.stats;
      else if (message.type === 'stopped') this.#stopped.resolve((this.#latest = message.stats));
      else {
        const error = new Error(`the stage process failed: ${message.message}`);
        ready.reject(error);
        this.#stopped.reject(error);
      }
    });
    child.once('exit', (code, signal) => {
      const error = new Error(`the stage process exited (${signal ?? `code ${code}`})`);
      ready.reject(error);
      this.#stopped.reject(error);
    });
    this.#stopped.promise.catch(() => {});
    this.ready.catch(() => {});
  }

  stats(): StageStats {
    return this.#latest;
  }

  async stop(): Promise<StageStats> {
    if (this.#child.connected) this.#child.send({ type: 'stop' });
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 30_000);
    try {
      return await this.#stopped.promise;
    } finally {
      clearTimeout(timer);
      if (this.#child.exitCode === null && this.#child.signalCode === null)
        await new Promise((resolve) => this.#child.once('exit', resolve));
    }
  }
}
