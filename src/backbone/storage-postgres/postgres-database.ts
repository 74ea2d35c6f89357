import pg from 'pg';
import type { Database, DatabaseCapabilities, DatabaseSession, QueryResult, SqlRunner, Unlisten } from '../storage/database.ts';

export interface PostgresDatabaseOptions {
  /** A libpq connection string, e.g. `postgres://postgres@127.0.0.1:5432/paystream`. */
  connectionString: string;
  /** Connections in the pool shared by queries and transactions. */
  poolSize?: number;
  /** Name shown in pg_stat_activity, to tell paystream's connections apart. */
  applicationName?: string;
}

/** Same JavaScript types as PGlite: int8 as bigint (pg's default is a string). */
const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (value: string) => BigInt(value);
    if (oid === 1016) return (value: string) => pg.types.arrayParser(value, (v: string) => BigInt(v));
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/** The storage port on a PostgreSQL server, through a `pg` connection pool. */
export class PostgresDatabase implements Database {
  readonly capabilities: DatabaseCapabilities = { crossSessionAdvisoryLocks: true, autovacuumDaemon: true };
  readonly #pool: pg.Pool;
  readonly #options: Required<PostgresDatabaseOptions>;
  #listener: pg.Client | undefined;
  #listenerReady: Promise<pg.Client> | undefined;
  readonly #channels = new Map<string, Set<(payload: string) => void>>();

  constructor(options: PostgresDatabaseOptions) {
    this.#options = { poolSize: 10, applicationName: 'paystream', ...options };
    this.#pool = new pg.Pool({
      connectionString: this.#options.connectionString,
      max: this.#options.poolSize,
      application_name: this.#options.applicationName,
      types: typeParsers,
    });
    // An idle client that loses its connection emits 'error' on the pool; the pool replaces it.
    this.#pool.on('error', () => {});
  }

  async query<Row extends object>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
    const result = await this.#pool.query(sql, params as unknown[]);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.#pool.query(sql);
  }

  async transaction<T>(work: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken = false;
    try {
      await client.query('begin');
      const result = await work(runnerOf(client));
      await client.query('commit');
      return result;
    } catch (error) {
      try {
        await client.query('rollback');
      } catch {
        broken = true;
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async listen(channel: string, onNotify: (payload: string) => void): Promise<Unlisten> {
    const client = await this.#listenerClient();
    let handlers = this.#channels.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.#channels.set(channel, handlers);
      await client.query(`listen ${pg.escapeIdentifier(channel)}`);
    }
    handlers.add(onNotify);
    return async () => {
      handlers.delete(onNotify);
    };
  }

  async session(): Promise<DatabaseSession> {
    const client = new pg.Client({
      connectionString: this.#options.connectionString,
      application_name: `${this.#options.applicationName}-session`,
      types: typeParsers,
    });
    client.on('error', () => {});
    await client.connect();
    return { ...runnerOf(client), release: async () => void (await client.end()) };
  }

  async close(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    this.#listenerReady = undefined;
    if (listener) await listener.end().catch(() => {});
    await this.#pool.end();
  }

  /** One dedicated connection carries every LISTEN; it is re-opened (and re-listened) if it drops. */
  #listenerClient(): Promise<pg.Client> {
    this.#listenerReady ??= (async () => {
      const client = new pg.Client({
        connectionString: this.#options.connectionString,
        application_name: `${this.#options.applicationName}-listen`,
      });
      client.on('notification', (message) => {
        for (const handler of this.#channels.get(message.channel) ?? []) handler(message.payload ?? '');
      });
      client.on('error', () => {
        if (this.#listener !== client) return;
        this.#listener = undefined;
        this.#listenerReady = undefined;
        // Wake everyone up: notifications sent while disconnected are lost, listeners re-read state.
        setTimeout(() => void this.#relisten(), 1000).unref();
      });
      await client.connect();
      this.#listener = client;
      return client;
    })();
    return this.#listenerReady;
  }

  async #relisten(): Promise<void> {
    if (this.#channels.size === 0) return;
    try {
      const client = await this.#listenerClient();
      for (const [channel, handlers] of this.#channels) {
        await client.query(`listen ${pg.escapeIdentifier(channel)}`);
        for (const handler of handlers) handler('');
      }
    } catch {
      this.#listenerReady = undefined;
      setTimeout(() => void this.#relisten(), 1000).unref();
    }
  }
}

function runnerOf(client: pg.ClientBase): SqlRunner {
  return {
    async query<Row extends object>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>> {
      const result = await client.query(sql, params as unknown[]);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async exec(sql: string): Promise<void> {
      await client.query(sql);
    },
  };
}
