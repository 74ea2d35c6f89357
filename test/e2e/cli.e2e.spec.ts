/**
 * The `paystream` command line, as its own process, against a running platform on the embedded
 * default: the key commands go through the platform's API with a key, and a command that needs the
 * embedded database itself (held by the platform) says in one line what to do instead.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-fixture.ts';

const repositoryRoot = resolve(import.meta.dirname, '../..');

/** Runs `paystream <args>` on this Node.js (24), with only the environment given. */
function paystream(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['src/cli/main.ts', ...args], { cwd: repositoryRoot, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
  });
}

describe('paystream against a running embedded platform', () => {
  let ps: TestPlatform;
  let dataDir: string;
  beforeAll(async () => {
    ps = await startTestPlatform('embedded', { awaitScreeningLists: false });
    const database = ps.platform.backbone.config.database;
    if (database.kind !== 'pglite') throw new Error('expected the embedded engine');
    dataDir = database.dataDir;
  });
  afterAll(() => ps?.close());

  it('creates, lists and revokes keys through the API (--json, --url, --key / PAYSTREAM_API_KEY)', async () => {
    const env = { PAYSTREAM_DATA_DIR: dataDir };
    const created = await paystream(['--json', 'keys', 'create', '--label', 'ops robot', '--scopes', 'ops', '--expires', '30d', '--url', ps.url, '--key', ps.apiKey], env);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const key = JSON.parse(created.stdout) as { key: string; keyId: string; expiresAt: string };
    expect(key).toMatchObject({ key: expect.stringMatching(/^psk_/), scopes: ['ops'], revokedAt: null });
    expect(Date.parse(key.expiresAt) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    // The new key works, with its scope only.
    expect((await ps.api('GET', '/v1/screening/lists', undefined, { authorization: `Bearer ${key.key}` })).status).not.toBe(401);
    expect((await ps.api('GET', '/v1/api-keys', undefined, { authorization: `Bearer ${key.key}` })).status).toBe(403);

    const apiEnv = { ...env, PAYSTREAM_URL: ps.url, PAYSTREAM_API_KEY: ps.apiKey };
    const listed = await paystream(['keys', 'list'], apiEnv);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout).toMatch(new RegExp(`^${key.keyId}  active .* ops  "ops robot"$`, 'm'));

    const revoked = await paystream(['keys', 'revoke', key.keyId], apiEnv);
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringMatching(new RegExp(`API key ${key.keyId} \\("ops robot"\\) revoked at .* by env`)) });
    expect((await ps.api('GET', '/v1/screening/lists', undefined, { authorization: `Bearer ${key.key}` })).status).toBe(401);

    const refused = await paystream(['keys', 'create', '--label', 'x', '--scopes', 'ops', '--key', key.key, '--url', ps.url], env);
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^paystream: POST \/v1\/api-keys: 401 unauthenticated/)]);
  });

  it('lists, replays and acknowledges dead letters through the API (scope ops)', async () => {
    const env = { PAYSTREAM_URL: ps.url, PAYSTREAM_API_KEY: ps.apiKey };
    const listed = await paystream(['--json', 'dlq', 'list', '--topic', 'payments.validated.v1', '--consumer', 'ledger', '--from', '2026-01-01'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual({ deadLetters: [] });
    expect(listed.stderr).toContain(`loading the dead letters of ledger on payments.validated.v1 from ${ps.url}`);

    const replay = await paystream(['--json', 'dlq', 'replay', '--topic', 'payments.validated.v1', '--consumer', 'ledger', '--operator', 'alice@bank', '--reason', 'fix deployed', '--dry-run'], env);
    expect(replay.code, replay.stderr).toBe(0);
    expect(JSON.parse(replay.stdout)).toEqual({ replayId: null, dryRun: true, letters: [] });

    const ack = await paystream(['--json', 'dlq', 'ack', '--topic', 'payments.validated.v1', '--operator', 'alice@bank', '--reason', 'reviewed'], env);
    expect(ack.code, ack.stderr).toBe(0);
    expect(JSON.parse(ack.stdout)).toEqual({ topic: 'payments.validated.v1', acknowledged: 0 });
    expect(ack.stderr).toContain(`acknowledging the dead letters of payments.validated.v1 through ${ps.url}`);

    expect(await ps.api('GET', '/v1/dead-letters?topic=payments.validated.v1')).toMatchObject({ status: 400, body: { code: expect.stringMatching(/field/) } });
    const reader = (await ps.platform.apiKeys.create('reader (cli test)', ['payments:read'])).key;
    expect(await ps.api('GET', '/v1/dead-letters?topic=payments.validated.v1&consumer=ledger', undefined, { authorization: `Bearer ${reader}` })).toMatchObject({ status: 403, body: { code: 'missing-scope' } });
  });

  it('says in one line, without a stack trace, what to do when the command needs the embedded database', async () => {
    for (const args of [['audit', 'verify'], ['topics', 'plan'], ['keys', 'list'], ['dlq', 'list', '--topic', 'payments.validated.v1', '--consumer', 'ledger']]) {
      const result = await paystream(args, { PAYSTREAM_DATA_DIR: dataDir });
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr.trim().split('\n'), args.join(' ')).toEqual([expect.stringMatching(new RegExp(`^paystream: paystream \\(process ${process.pid}\\) is running on the embedded database ${dataDir}: `))]);
    }
  });

  it('reconciles a day through the API, the report on stdout with --json and the progress on stderr', async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const result = await paystream(['--json', 'reconcile', '--date', yesterday], { PAYSTREAM_URL: ps.url, PAYSTREAM_API_KEY: ps.apiKey });
    expect([0, 3], result.stderr).toContain(result.code);
    expect(JSON.parse(result.stdout)).toMatchObject({ date: yesterday, clean: result.code === 0 });
    expect(result.stderr).toContain(`reconciling ${yesterday} on ${ps.url}`);
  });
});
