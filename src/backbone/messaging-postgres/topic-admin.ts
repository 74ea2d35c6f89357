import type { Database } from '../storage/database.ts';
import type { TopicAdmin, TopicDescription, TopicSpec } from '../topics/topic-admin.ts';

/**
 * Topic administration on the PostgreSQL log. Replication is the database's business here, so
 * every topic reports a replication factor of 1; configs are kept (retention.ms drives pruning).
 */
export class PostgresLogTopicAdmin implements TopicAdmin {
  readonly #db: Database;
  readonly #onChange: (topic: string) => void;

  constructor(db: Database, onChange: (topic: string) => void = () => {}) {
    this.#db = db;
    this.#onChange = onChange;
  }

  async describeTopics(names: readonly string[]): Promise<Map<string, TopicDescription>> {
    const result = await this.#db.query<{ topic: string; partitions: number; configs: Record<string, string> }>(
      `select topic, partitions, configs from log_topics where topic = any($1::text[])`,
      [[...names]],
    );
    return new Map(
      result.rows.map((row) => [row.topic, { name: row.topic, partitions: row.partitions, replicationFactor: 1, configs: row.configs }]),
    );
  }

  async createTopics(specs: readonly TopicSpec[]): Promise<void> {
    await this.#db.transaction(async (tx) => {
      for (const spec of specs) {
        await tx.query(`insert into log_topics (topic, partitions, configs) values ($1, $2, $3::jsonb)`, [
          spec.name,
          spec.partitions,
          JSON.stringify(configsOf(spec)),
        ]);
        await tx.query(`insert into log_partitions (topic, partition) select $1, p from generate_series(0, $2 - 1) as p`, [
          spec.name,
          spec.partitions,
        ]);
      }
    });
  }

  async addPartitions(topic: string, partitionCount: number): Promise<void> {
    await this.#db.transaction(async (tx) => {
      const current = await tx.query<{ partitions: number }>(`select partitions from log_topics where topic = $1 for update`, [topic]);
      const existing = current.rows[0]?.partitions ?? 0;
      if (partitionCount <= existing) return;
      await tx.query(`update log_topics set partitions = $2 where topic = $1`, [topic, partitionCount]);
      await tx.query(`insert into log_partitions (topic, partition) select $1, p from generate_series($2::int, $3::int - 1) as p`, [
        topic,
        existing,
        partitionCount,
      ]);
    });
    this.#onChange(topic);
  }

  async alterTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void> {
    await this.#db.query(`update log_topics set configs = configs || $2::jsonb where topic = $1`, [topic, JSON.stringify(configs)]);
  }
}

function configsOf(spec: TopicSpec): Record<string, string> {
  return {
    'retention.ms': String(spec.retentionMs),
    'cleanup.policy': spec.cleanupPolicy,
    'compression.type': spec.compression,
    'min.insync.replicas': String(spec.minInsyncReplicas),
  };
}
