import { createHash } from 'node:crypto';
import { parseSchema } from '../schema/avro-schema.ts';
import { checkAgainstVersions, type VersionedSchema } from '../schema/compatibility.ts';
import {
  defaultCompatibilityMode,
  parseCompatibilityMode,
  registryErrors,
  type CompatibilityMode,
  type CompatibilityResult,
  type SchemaRegistry,
  type SubjectVersion,
} from '../schema/schema-registry.ts';
import type { Database, SqlRunner } from '../storage/database.ts';
import { migrate } from '../storage/migrate.ts';
import { schemaRegistryMigrations } from './migrations.ts';

const globalConfigKey = '';

/**
 * The schema registry port on the database (PostgreSQL or PGlite), served over HTTP by
 * `confluentRegistryRoutes`.
 *
 * Registration takes one transaction-scoped advisory lock for the whole registry: registrations are
 * rare (a deploy, a CI gate), and one lock makes the compatibility check, the id and the version
 * number one atomic step, across every process sharing the database, with dense ids and no
 * duplicate versions. Reads take no lock.
 */
export class DatabaseSchemaRegistry implements SchemaRegistry {
  readonly #db: Database;

  private constructor(db: Database) {
    this.#db = db;
  }

  /** Applies the registry's migrations (idempotent, safe from many processes) and opens it. */
  static async open(db: Database): Promise<DatabaseSchemaRegistry> {
    await migrate(db, 'schema-registry', schemaRegistryMigrations);
    return new DatabaseSchemaRegistry(db);
  }

  async register(subject: string, schema: string): Promise<number> {
    assertSubject(subject);
    const parsed = parseSchema(schema);
    return this.#db.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext('paystream.schema-registry'))`);
      const existing = await findLiveVersion(tx, subject, parsed.canonical);
      if (existing) return existing.id;
      const mode = await effectiveMode(tx, subject);
      const messages = checkAgainstVersions(mode, parsed.root, await liveVersions(tx, subject));
      if (messages.length > 0) throw registryErrors.incompatible(subject, mode, messages);
      const id = await schemaIdFor(tx, parsed.canonical);
      await tx.query(
        `insert into schema_registry_versions (subject, version, schema_id)
         select $1, coalesce(max(version), 0) + 1, $2 from schema_registry_versions where subject = $1`,
        [subject, id],
      );
      return id;
    });
  }

  async lookup(subject: string, schema: string): Promise<SubjectVersion> {
    const parsed = parseSchema(schema);
    const found = await findLiveVersion(this.#db, subject, parsed.canonical);
    if (found) return found;
    await this.listVersions(subject); // a missing subject is 40401, a missing schema 40403
    throw registryErrors.schemaNotFound(`in subject '${subject}'`);
  }

  async getById(id: number): Promise<string> {
    const { rows } = await this.#db.query<{ schema_text: string }>(`select schema_text from schema_registry_schemas where id = $1`, [id]);
    if (!rows[0]) throw registryErrors.schemaNotFound(`with id ${id}`);
    return rows[0].schema_text;
  }

  async getLatest(subject: string): Promise<SubjectVersion> {
    const versions = await this.listVersions(subject);
    return this.getVersion(subject, versions[versions.length - 1] as number);
  }

  async getVersion(subject: string, version: number): Promise<SubjectVersion> {
    const { rows } = await this.#db.query<VersionRow>(`${selectVersion} where v.subject = $1 and v.version = $2 and v.deleted_at is null`, [
      subject,
      version,
    ]);
    if (rows[0]) return toSubjectVersion(rows[0]);
    await this.listVersions(subject);
    throw registryErrors.versionNotFound(subject, version);
  }

  async listSubjects(): Promise<string[]> {
    const { rows } = await this.#db.query<{ subject: string }>(
      `select distinct subject from schema_registry_versions where deleted_at is null order by subject`,
    );
    return rows.map((row) => row.subject);
  }

  async listVersions(subject: string): Promise<number[]> {
    const { rows } = await this.#db.query<{ version: number }>(
      `select version from schema_registry_versions where subject = $1 and deleted_at is null order by version`,
      [subject],
    );
    if (rows.length === 0) throw registryErrors.subjectNotFound(subject);
    return rows.map((row) => row.version);
  }

  async checkCompatibility(subject: string, schema: string, version: number | 'latest' = 'latest'): Promise<CompatibilityResult> {
    const parsed = parseSchema(schema);
    const mode = await effectiveMode(this.#db, subject);
    const against = version === 'latest' ? await liveVersions(this.#db, subject) : [await this.#versioned(subject, version)];
    // Against one named version, a TRANSITIVE mode means the same as its plain form.
    const messages = checkAgainstVersions(mode, parsed.root, against);
    return { compatible: messages.length === 0, messages };
  }

  async getCompatibility(subject?: string): Promise<CompatibilityMode> {
    return subject === undefined ? globalMode(this.#db) : effectiveMode(this.#db, subject);
  }

  /** The mode set on the subject itself, without falling back to the global one. */
  async getSubjectCompatibility(subject: string): Promise<CompatibilityMode | undefined> {
    return configuredMode(this.#db, subject);
  }

  async setCompatibility(mode: CompatibilityMode, subject?: string): Promise<void> {
    const checked = parseCompatibilityMode(mode);
    if (subject !== undefined) assertSubject(subject);
    await this.#db.query(
      `insert into schema_registry_config (subject, compatibility) values ($1, $2)
       on conflict (subject) do update set compatibility = excluded.compatibility, updated_at = now()`,
      [subject ?? globalConfigKey, checked],
    );
  }

  /** The subjects and versions that hold schema `id` (live versions only). */
  async versionsOfId(id: number): Promise<{ subject: string; version: number }[]> {
    await this.getById(id);
    const { rows } = await this.#db.query<{ subject: string; version: number }>(
      `select subject, version from schema_registry_versions where schema_id = $1 and deleted_at is null order by subject, version`,
      [id],
    );
    return rows;
  }

  /**
   * Soft-deletes one version (or every version of the subject when `version` is undefined) and
   * returns the versions deleted. The schema stays readable by id: records written with it exist.
   */
  async deleteVersions(subject: string, version?: number): Promise<number[]> {
    if (version !== undefined) await this.getVersion(subject, version);
    else await this.listVersions(subject);
    const { rows } = await this.#db.query<{ version: number }>(
      `update schema_registry_versions set deleted_at = now()
       where subject = $1 and deleted_at is null and ($2::int is null or version = $2) returning version`,
      [subject, version ?? null],
    );
    return rows.map((row) => row.version).sort((a, b) => a - b);
  }

  async #versioned(subject: string, version: number): Promise<VersionedSchema> {
    const found = await this.getVersion(subject, version);
    return { version: found.version, root: parseSchema(found.schema).root };
  }
}

interface VersionRow {
  subject: string;
  version: number;
  id: number;
  schema_text: string;
}

const selectVersion = `select v.subject, v.version, s.id, s.schema_text
  from schema_registry_versions v join schema_registry_schemas s on s.id = v.schema_id`;

function toSubjectVersion(row: VersionRow): SubjectVersion {
  return { subject: row.subject, version: row.version, id: row.id, schema: row.schema_text };
}

function assertSubject(subject: string): void {
  if (typeof subject !== 'string' || subject.trim() === '') throw registryErrors.invalidSchema('a subject name must not be empty');
}

function hashOf(canonical: string): string {
  return createHash('sha256').update(canonical).digest('hex');
}

async function findLiveVersion(db: SqlRunner, subject: string, canonical: string): Promise<SubjectVersion | undefined> {
  const { rows } = await db.query<VersionRow>(`${selectVersion} where v.subject = $1 and s.schema_hash = $2 and v.deleted_at is null`, [
    subject,
    hashOf(canonical),
  ]);
  return rows[0] && toSubjectVersion(rows[0]);
}

async function liveVersions(db: SqlRunner, subject: string): Promise<VersionedSchema[]> {
  const { rows } = await db.query<VersionRow>(`${selectVersion} where v.subject = $1 and v.deleted_at is null order by v.version`, [
    subject,
  ]);
  return rows.map((row) => ({ version: row.version, root: parseSchema(row.schema_text).root }));
}

/** The id of a schema text, stored under the next id if it is new. Runs under the registry lock. */
async function schemaIdFor(tx: SqlRunner, canonical: string): Promise<number> {
  const hash = hashOf(canonical);
  const found = await tx.query<{ id: number }>(`select id from schema_registry_schemas where schema_hash = $1`, [hash]);
  if (found.rows[0]) return found.rows[0].id;
  const inserted = await tx.query<{ id: number }>(
    `insert into schema_registry_schemas (id, schema_hash, schema_text)
     select coalesce(max(id), 0) + 1, $1, $2 from schema_registry_schemas returning id`,
    [hash, canonical],
  );
  return (inserted.rows[0] as { id: number }).id;
}

async function configuredMode(db: SqlRunner, key: string): Promise<CompatibilityMode | undefined> {
  const { rows } = await db.query<{ compatibility: string }>(`select compatibility from schema_registry_config where subject = $1`, [key]);
  return rows[0] ? parseCompatibilityMode(rows[0].compatibility) : undefined;
}

async function globalMode(db: SqlRunner): Promise<CompatibilityMode> {
  return (await configuredMode(db, globalConfigKey)) ?? defaultCompatibilityMode;
}

async function effectiveMode(db: SqlRunner, subject: string): Promise<CompatibilityMode> {
  return (await configuredMode(db, subject)) ?? globalMode(db);
}
