/**
 * The topic administration port: what the "topics as code" planner needs from an engine.
 * Kafka implements it with its Admin API (`messaging-kafka/`), the PostgreSQL log with its
 * topic table (`messaging-postgres/`).
 */
export interface TopicAdmin {
  /** The topics among `names` that exist, with their current settings. Missing ones are absent. */
  describeTopics(names: readonly string[]): Promise<Map<string, TopicDescription>>;
  /** Creates topics; creating one that exists is an error (the planner only creates missing ones). */
  createTopics(specs: readonly TopicSpec[]): Promise<void>;
  /** Raises the partition count (Kafka never lowers it). */
  addPartitions(topic: string, partitionCount: number): Promise<void>;
  /** Sets topic-level configs (e.g. `retention.ms`), leaving the others as they are. */
  alterTopicConfigs(topic: string, configs: Readonly<Record<string, string>>): Promise<void>;
  /** Releases connections (the Kafka admin client's); optional, the table log holds none. */
  close?(): Promise<void>;
}

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
export type CompressionType = 'producer' | 'uncompressed' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/** A topic as declared in code. */
export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** With acks=all, a write needs this many in-sync replicas (2 of 3 survives one broker loss). */
  minInsyncReplicas: number;
  /** -1 keeps records forever. */
  retentionMs: number;
  cleanupPolicy: CleanupPolicy;
  compression: CompressionType;
}

export interface TopicDescription {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** Topic-level configs as the engine reports them (`retention.ms`, `cleanup.policy`, ...). */
  configs: Record<string, string>;
}
