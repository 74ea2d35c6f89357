/**
 * The PostgreSQL server of a test run. Tests never share a database: each creates its own with
 * `createTestDatabase` (test/support/engines.ts) and drops it at the end. The database's comment
 * records the test run that created it, so that the next run can sweep the databases of a run
 * that was killed before it could drop them.
 */
import pg from 'pg';
import { hostname } from 'node:os';
import { isAlive, messageOf } from './processes.ts';

export const defaultPostgresUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
/** Every test database's name starts with this; nothing else on the server is ever dropped. */
export const testDatabasePrefix = 'ps_test_';
const connectTimeoutMs = 5_000;

export interface PostgresCheck {
  url: string | null;
  unavailableReason: string | null;
}

/** Checks that the server answers and that its user may create databases. */
export async function checkPostgres(url: string): Promise<PostgresCheck> {
  try {
    await withClient(url, async (client) => {
      const { rows } = await client.query<{ may_create: boolean }>(
        'select rolcreatedb or rolsuper as may_create from pg_roles where rolname = current_user',
      );
      if (rows[0]?.may_create !== true) throw new Error('its user may not create databases (needs CREATEDB)');
    });
    return { url, unavailableReason: null };
  } catch (error) {
    return { url: null, unavailableReason: `PostgreSQL at ${redact(url)} is unavailable: ${messageOf(error)}` };
  }
}

/** The comment a test database carries: which machine and which test run (pid) created it. */
export function ownerTag(testRunPid: number): string {
  return `paystream-test owner=${hostname()}:${testRunPid}`;
}

/**
 * Drops the test databases whose creating run, on this machine, has ended. Databases of live runs
 * (someone else's terminal) and of other machines sharing the server are left alone.
 */
export async function sweepStaleTestDatabases(url: string): Promise<string[]> {
  const tagPrefix = `paystream-test owner=${hostname()}:`;
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ datname: string; description: string }>(
      `select d.datname, s.description
         from pg_database d join pg_shdescription s on s.objoid = d.oid and s.classoid = 'pg_database'::regclass
        where d.datname like $1 and s.description like $2`,
      [`${testDatabasePrefix.replaceAll('_', '\\_')}%`, `${tagPrefix}%`],
    );
    const dropped: string[] = [];
    for (const { datname, description } of rows) {
      if (isAlive(Number(description.slice(tagPrefix.length)))) continue;
      await client.query(`drop database if exists ${pg.escapeIdentifier(datname)} with (force)`);
      dropped.push(datname);
    }
    return dropped;
  });
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  // A server that goes away mid-test must fail the query, not crash the worker.
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(unparsable DATABASE_URL)';
  }
}
