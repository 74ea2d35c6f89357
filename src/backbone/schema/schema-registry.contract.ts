import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../errors.ts';
import type { SchemaRegistry } from './schema-registry.ts';

export interface RegistryUnderTest {
  registry: SchemaRegistry;
  close(): Promise<void>;
}

/**
 * The contract every `SchemaRegistry` adapter passes. Subjects get a unique prefix, so the suite
 * can run against a shared registry (a long-lived Apicurio); it never changes the global mode.
 */
export function schemaRegistryContract(name: string, open: () => Promise<RegistryUnderTest>): void {
  describe(`SchemaRegistry contract: ${name}`, () => {
    let underTest: RegistryUnderTest;
    let registry: SchemaRegistry;
    const run = randomUUID().slice(0, 8);
    const subject = (label: string) => `contract-${run}-${label}-value`;

    beforeAll(async () => {
      underTest = await open();
      registry = underTest.registry;
    });
    afterAll(async () => underTest?.close());

    it('registers a schema under a global id, idempotently, without a second version', async () => {
      const s = subject('idempotent');
      const id = await registry.register(s, payment());
      expect(await registry.register(s, payment())).toBe(id);
      expect(await registry.register(s, JSON.stringify(JSON.parse(payment()), null, 2))).toBe(id);
      expect(await registry.listVersions(s)).toEqual([1]);
      expect(JSON.parse(await registry.getById(id))).toEqual(JSON.parse(payment()));
    });

    it('gives one id to one schema in two subjects', async () => {
      const schema = payment([{ name: 'shared', type: 'string', default: run }]);
      expect(await registry.register(subject('a'), schema)).toBe(await registry.register(subject('b'), schema));
    });

    it('serves versions, the latest version, lookups and subjects', async () => {
      const s = subject('versions');
      const v1 = await registry.register(s, payment());
      const v2 = await registry.register(s, payment([{ name: 'note', type: 'string', default: '' }]));
      expect(v2).not.toBe(v1);
      expect(await registry.listVersions(s)).toEqual([1, 2]);
      expect(await registry.getLatest(s)).toMatchObject({ subject: s, version: 2, id: v2 });
      expect(await registry.getVersion(s, 1)).toMatchObject({ subject: s, version: 1, id: v1 });
      expect(await registry.lookup(s, payment())).toMatchObject({ subject: s, version: 1, id: v1 });
      expect(await registry.listSubjects()).toContain(s);
    });

    it('answers SCHEMA_NOT_FOUND for what does not exist', async () => {
      const s = subject('missing');
      await expect(registry.getLatest(s)).rejects.toMatchObject({ code: ErrorCodes.SCHEMA_NOT_FOUND });
      await expect(registry.listVersions(s)).rejects.toMatchObject({ code: ErrorCodes.SCHEMA_NOT_FOUND });
      await expect(registry.getById(2_000_000_000)).rejects.toMatchObject({ code: ErrorCodes.SCHEMA_NOT_FOUND });
      await registry.register(s, payment());
      await expect(registry.getVersion(s, 7)).rejects.toMatchObject({ code: ErrorCodes.SCHEMA_NOT_FOUND });
      await expect(registry.lookup(s, payment([{ name: 'x', type: 'int', default: 0 }]))).rejects.toMatchObject({
        code: ErrorCodes.SCHEMA_NOT_FOUND,
      });
    });

    it('refuses invalid Avro with SCHEMA_INVALID', async () => {
      await expect(registry.register(subject('invalid'), '{"type":"record","name":"X"}')).rejects.toMatchObject({
        code: ErrorCodes.SCHEMA_INVALID,
      });
      await expect(registry.register(subject('invalid'), 'not json')).rejects.toMatchObject({ code: ErrorCodes.SCHEMA_INVALID });
    });

    it('enforces BACKWARD by default: a new field without default is refused, with one default accepted', async () => {
      const s = subject('backward');
      await registry.register(s, payment());
      await expect(registry.register(s, payment([{ name: 'fee', type: 'long' }]))).rejects.toMatchObject({
        code: ErrorCodes.SCHEMA_INCOMPATIBLE,
        retryable: false,
      });
      await registry.register(s, payment([{ name: 'fee', type: 'long', default: 0 }]));
      expect(await registry.listVersions(s)).toEqual([1, 2]);
    });

    it("refuses a change of a decimal's scale, which Avro's own rules let through", async () => {
      const s = subject('decimal');
      await registry.register(s, payment([{ name: 'fx', type: decimal(18, 4), default: '\u0000' }]));
      await expect(registry.register(s, payment([{ name: 'fx', type: decimal(18, 6), default: '\u0000' }]))).rejects.toMatchObject({
        code: ErrorCodes.SCHEMA_INCOMPATIBLE,
      });
      const check = await registry.checkCompatibility(s, payment([{ name: 'fx', type: decimal(18, 6), default: '\u0000' }]));
      expect(check.compatible).toBe(false);
      expect(check.messages.join('\n')).toMatch(/scale/);
    });

    it('sets a subject mode and enforces its TRANSITIVE form against every version', async () => {
      const s = subject('transitive');
      await registry.setCompatibility('BACKWARD_TRANSITIVE', s);
      expect(await registry.getCompatibility(s)).toBe('BACKWARD_TRANSITIVE');
      await registry.register(s, payment());
      await registry.register(s, payment([{ name: 'note', type: 'string', default: '' }]));
      const noteWithoutDefault = payment([{ name: 'note', type: 'string' }]);
      expect((await registry.checkCompatibility(s, noteWithoutDefault, 2)).compatible).toBe(true);
      const latest = await registry.checkCompatibility(s, noteWithoutDefault);
      expect(latest.compatible).toBe(false);
      expect(latest.messages.join('\n')).toMatch(/version 1/);
      await expect(registry.register(s, noteWithoutDefault)).rejects.toMatchObject({ code: ErrorCodes.SCHEMA_INCOMPATIBLE });
    });

    it('refuses NONE with a clear SCHEMA_INVALID', async () => {
      await expect(registry.setCompatibility('NONE' as never, subject('none'))).rejects.toMatchObject({
        code: ErrorCodes.SCHEMA_INVALID,
        message: expect.stringMatching(/NONE is refused/),
      });
    });

    it('reports a subject without versions as compatible with anything', async () => {
      expect(await registry.checkCompatibility(subject('fresh'), payment())).toEqual({ compatible: true, messages: [] });
    });
  });
}

/** A small payment event, with extra fields appended. */
export function payment(extraFields: object[] = []): string {
  return JSON.stringify({
    type: 'record',
    name: 'PaymentSubmitted',
    namespace: 'paystream.contract',
    fields: [
      { name: 'paymentId', type: 'string' },
      { name: 'amountMinor', type: 'long' },
      { name: 'amount', type: decimal(18, 2), default: '\u0000' },
      ...extraFields,
    ],
  });
}

function decimal(precision: number, scale: number) {
  return { type: 'bytes', logicalType: 'decimal', precision, scale };
}
