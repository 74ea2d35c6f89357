import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type JsonBody, type TestPlatform } from '../support/platform-fixture.ts';

const repositoryRoot = resolve(import.meta.dirname, '../..');

interface LintProblem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location: { pointer: string }[];
}

/**
 * The warnings that stay, each for a reason: health and metrics answer no client error (they take
 * no input and no credentials). A new warning fails the test: fix it at its route.
 */
const acceptedWarnings = [
  'operation-4xx-response #/paths/~1health~1live/get/responses',
  'operation-4xx-response #/paths/~1health~1ready/get/responses',
  'operation-4xx-response #/paths/~1metrics/get/responses',
];

/**
 * The document the embedded platform serves, with every service's routes, linted by `redocly lint`
 * with the recommended rules (redocly.yaml), as an API client's tooling would read it.
 */
describe('the API description at /openapi.json', () => {
  let ps: TestPlatform;
  let document: JsonBody;
  let problems: LintProblem[];
  let workDir: string;

  beforeAll(async () => {
    ps = await startTestPlatform('embedded', { awaitScreeningLists: false });
    const response = await fetch(`${ps.url}/openapi.json`);
    expect(response.status).toBe(200);
    document = await response.json();
    workDir = await mkdtemp(join(tmpdir(), 'paystream-openapi-'));
    problems = await redoclyLint(document, workDir);
  });

  afterAll(async () => {
    await ps?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('passes redocly lint (recommended rules) without errors', () => {
    const errors = problems.filter((problem) => problem.severity === 'error').map(describeProblem);
    expect(errors).toEqual([]);
  });

  it('has no warnings but the accepted ones', () => {
    const warnings = problems
      .filter((problem) => problem.severity === 'warn')
      .map((problem) => `${problem.ruleId} ${problem.location[0]?.pointer}`);
    expect(warnings.filter((warning) => !acceptedWarnings.includes(warning))).toEqual([]);
  });

  it('needs an API key on every route but health and metrics, and basic auth on the schema registry', () => {
    expect(document.security).toEqual([{ apiKey: [] }]);
    for (const [path, operation] of operations(document)) {
      if (path.startsWith('/health/') || path === '/metrics') expect(operation.security, path).toEqual([]);
      else if (path.startsWith('/schema-registry/')) expect(operation.security, path).toEqual([{ schemaRegistryBasic: [] }]);
      else if (path.startsWith('/v1/')) expect(operation.security, path).toBeUndefined(); // the document's default
    }
    expect(document.components.securitySchemes.schemaRegistryBasic).toMatchObject({ type: 'http', scheme: 'basic' });
  });

  it('types every problem of the /v1 API application/problem+json, with the catalog of codes', () => {
    for (const [path, operation, method] of operations(document)) {
      if (!path.startsWith('/v1/')) continue;
      const failures = Object.entries(operation.responses as Record<string, JsonBody>).filter(([status]) => Number(status) >= 400);
      expect(
        failures.map(([status]) => status),
        `${method} ${path}`,
      ).toContain('401');
      for (const [status, response] of failures) {
        expect(Object.keys(response.content), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
        expect(response.content['application/problem+json'].schema.properties.code.enum, `${method} ${path} ${status}`).toContain(
          'not-found',
        );
      }
    }
  });

  it('declares the Idempotency-Key of a payment as required and the audit query parameters', () => {
    const submit = document.paths['/v1/payments'].post;
    expect(submit.parameters).toContainEqual(expect.objectContaining({ in: 'header', name: 'idempotency-key', required: true }));
    const audit = document.paths['/v1/audit'].get;
    const names = (audit.parameters as JsonBody[]).filter((parameter) => parameter.in === 'query').map((parameter) => parameter.name);
    expect(names.sort()).toEqual(['after', 'correlationId', 'includePending', 'limit', 'paymentId']);
  });
});

function* operations(document: JsonBody): Generator<[string, JsonBody, string]> {
  for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, JsonBody>>)) {
    for (const [method, operation] of Object.entries(item)) yield [path, operation, method];
  }
}

function describeProblem(problem: LintProblem): string {
  return `${problem.ruleId} at ${problem.location[0]?.pointer}: ${problem.message}`;
}

/** Runs the repository's @redocly/cli on the document; its exit status is 1 when it finds errors, so the JSON report is read either way. */
async function redoclyLint(document: JsonBody, workDir: string): Promise<LintProblem[]> {
  const file = join(workDir, 'openapi.json');
  await writeFile(file, JSON.stringify(document));
  const cli = join(repositoryRoot, 'node_modules/@redocly/cli/bin/cli.js');
  const args = [cli, 'lint', file, '--config', join(repositoryRoot, 'redocly.yaml'), '--format=json', '--max-problems=1000'];
  // No telemetry and no update check: the lint must not call out.
  const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' };
  const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: workDir, env, maxBuffer: 64 * 1024 * 1024 }).catch(
    (error: { stdout?: string; stderr?: string; code?: number }) => {
      if (error.code === 1 && error.stdout) return { stdout: error.stdout };
      throw new Error(`redocly lint did not run: ${error.stderr ?? String(error)}`);
    },
  );
  return (JSON.parse(stdout) as { problems: LintProblem[] }).problems;
}
