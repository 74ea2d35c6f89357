import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../errors.ts';
import { AvroSerde } from '../schema/avro-serde.ts';
import { CachingSchemaRegistry } from '../schema/caching-schema-registry.ts';
import { payment, schemaRegistryContract } from '../schema/schema-registry.contract.ts';
import { HttpSchemaRegistry } from './http-schema-registry.ts';

// The client against a registry paystream did not write: Apicurio Registry's Confluent API.
// APICURIO_URL points at a running one; otherwise this file starts one with
// scripts/apicurio/apicurio.sh (Maven Central download on first use) and stops it at the end.
// Without Apicurio the tests are skipped with the reason, unless REQUIRE_APICURIO=1.

const script = fileURLToPath(new URL('../../../scripts/apicurio/apicurio.sh', import.meta.url));
const run = promisify(execFile);

interface Apicurio {
  url: string;
  /** Set when this file started the registry, so it may stop it. */
  stop?: () => Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function acquireApicurio(): Promise<Apicurio | string> {
  if (process.env.APICURIO_URL) return { url: process.env.APICURIO_URL };
  const port = String(await freePort());
  try {
    const { stdout } = await run('bash', [script, 'start', '--port', port], { timeout: 600_000 });
    return { url: stdout.trim(), stop: async () => void (await run('bash', [script, 'stop', '--port', port])) };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? String(error);
    const reason = stderr.trim().split('\n').slice(-3).join(' / ');
    if (process.env.REQUIRE_APICURIO === '1') throw new Error(`REQUIRE_APICURIO=1 but Apicurio did not start: ${reason}`);
    return reason;
  }
}

const apicurio = await acquireApicurio();
afterAll(async () => {
  if (typeof apicurio !== 'string') await apicurio.stop?.();
});

if (typeof apicurio === 'string') {
  // Skipped only on a developer's machine without Java 17 / Maven Central: Apicurio is a third-party
  // server we start from its jars. CI sets REQUIRE_APICURIO=1, and then acquireApicurio fails the run.
  // skipped: Apicurio could not start here (no Java 17 / Maven Central); CI sets REQUIRE_APICURIO=1 and fails instead
  describe.skip(`HTTP client against Apicurio Registry [skipped: Apicurio could not start — ${apicurio}]`, () => {
    // skipped: no Java/Maven to start Apicurio (CI fails instead)
    it('needs Apicurio', () => {});
  });
} else {
  const { url } = apicurio;
  schemaRegistryContract(`HTTP client against Apicurio Registry (${url})`, async () => ({
    registry: new HttpSchemaRegistry({ url }),
    close: async () => {},
  }));

  describe('Apicurio Registry specifics', () => {
    const subject = `apicurio-${Date.now().toString(36)}-value`;

    it('reads its error answers as the port errors', async () => {
      const registry = new HttpSchemaRegistry({ url });
      await expect(registry.getById(1_999_999_999)).rejects.toMatchObject({ code: ErrorCodes.SCHEMA_NOT_FOUND, registryCode: 40403 });
      await expect(registry.listVersions(`${subject}-none`)).rejects.toMatchObject({
        code: ErrorCodes.SCHEMA_NOT_FOUND,
        registryCode: 40401,
      });
    });

    it("reports Apicurio's default mode NONE as the BACKWARD that paystream enforces", async () => {
      const registry = new HttpSchemaRegistry({ url });
      const raw = (await (await fetch(`${url}/config`)).json()) as { compatibilityLevel: string };
      if (raw.compatibilityLevel === 'NONE') expect(await registry.getCompatibility()).toBe('BACKWARD');
      else expect(await registry.getCompatibility()).toBe(raw.compatibilityLevel);
    });

    it('encodes and decodes through it, and keeps decoding from the cache once it is gone', async () => {
      const registry = new CachingSchemaRegistry(new HttpSchemaRegistry({ url, timeoutMs: 3_000 }));
      const serde = new AvroSerde({ registry });
      const value = { paymentId: 'p-9', amountMinor: 2n ** 62n, amount: 1999n };
      const bytes = await serde.encode(subject, payment(), value);
      expect(await serde.decode(bytes)).toEqual(value);
      if (!apicurio.stop) return; // a shared Apicurio (APICURIO_URL) is not ours to stop
      await apicurio.stop();
      apicurio.stop = undefined;
      expect(await new AvroSerde({ registry }).decode(bytes)).toEqual(value);
      await expect(new HttpSchemaRegistry({ url, timeoutMs: 2_000 }).getById(1)).rejects.toMatchObject({
        code: ErrorCodes.REGISTRY_UNAVAILABLE,
      });
    });
  });
}
