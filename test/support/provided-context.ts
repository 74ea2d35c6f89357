/**
 * What the global setup (test/support/global-setup.ts) hands to every test file through vitest's
 * `provide` / `inject`. Test files read it through the helpers in test/support/engines.ts.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap addresses of the Kafka cluster the tests may use, or null when there is none. */
    kafkaBrokers: string[] | null;
    /** Why `kafkaBrokers` is null (shown on the skipped tests); null when Kafka is there. */
    kafkaUnavailableReason: string | null;
    /** A PostgreSQL server URL whose user may create databases, or null when there is none. */
    postgresUrl: string | null;
    /** Why `postgresUrl` is null; null when PostgreSQL is there. */
    postgresUnavailableReason: string | null;
    /** A RabbitMQ broker URL (credentials included) the tests may use, or null when there is none. */
    rabbitmqUrl: string | null;
    /** Why `rabbitmqUrl` is null; null when RabbitMQ is there. */
    rabbitmqUnavailableReason: string | null;
    /** The process that ran the global setup; test databases record it so strays can be swept. */
    testRunPid: number;
  }
}

export {};
