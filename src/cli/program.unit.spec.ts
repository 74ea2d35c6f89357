import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram, runCli } from './program.ts';

/** Runs the command line in this process, capturing what it writes. */
async function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (text) => out.push(text), err: (text) => err.push(text), env });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Every command's path, from the program's own tree: a command added later is covered too. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands
    .filter((sub) => sub.name() !== 'help')
    .flatMap((sub) => [[...prefix, sub.name()], ...commandPaths(sub, [...prefix, sub.name()])]);
}

const paths = commandPaths(buildProgram({ out: () => {}, err: () => {}, env: {} }, () => {}));

describe('paystream: help, usage errors, version', () => {
  it('knows the commands', () => {
    expect(paths.map((path) => path.join(' '))).toEqual([
      'start',
      'topics',
      'topics plan',
      'topics apply',
      'dlq',
      'dlq list',
      'dlq replay',
      'dlq ack',
      'audit',
      'audit verify',
      'keys',
      'keys create',
      'keys list',
      'keys revoke',
      'reconcile',
      'authz',
      'authz replay',
    ]);
  });

  it.for(['', ...paths.map((path) => path.join(' '))])('paystream %s --help prints its usage on stdout and exits 0', async (line) => {
    const path = line === '' ? [] : line.split(' ');
    const result = await cli([...path, '--help']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain(`Usage: paystream${path.length > 0 ? ` ${path.join(' ')}` : ''}`);
  });

  it('an unknown flag prints the usage on stderr and exits 2, without a stack trace', async () => {
    const result = await cli(['keys', 'list', '--frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^error: unknown option '--frobnicate'/);
    expect(result.stderr).toContain('Usage: paystream keys list');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown command, a missing command or a missing required option exits 2 with the usage', async () => {
    expect(await cli(['frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'frobnicate'") });
    expect(await cli([])).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: paystream') });
    expect(await cli(['dlq'])).toMatchObject({ code: 2, stderr: expect.stringContaining('Usage: paystream dlq') });
    expect(await cli(['dlq', 'list', '--topic', 't'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("required option '--consumer <consumer>' not specified"),
    });
    expect(await cli(['keys', 'revoke', 'not-a-key-id'])).toMatchObject({ code: 2, stderr: expect.stringContaining('12 hex digits') });
    expect(await cli(['keys', 'create', '--label', 'x', '--scopes', 'ops', '--expires', 'soon'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--expires must be a duration like 90d'),
    });
  });

  it("--version prints package.json's version", async () => {
    const { version } = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(await cli(['--version'])).toEqual({ code: 0, stdout: version, stderr: '' });
  });

  it('an unexpected error is one line on stderr, exit 1; --debug adds the stack trace', async () => {
    const plain = await cli(['topics', 'plan'], { LOG_LEVEL: 'loud' });
    expect(plain).toMatchObject({ code: 1, stdout: '' });
    expect(plain.stderr.split('\n')).toEqual([
      expect.stringMatching(/^paystream: LOG_LEVEL must be one of .*--debug shows the stack trace/),
    ]);
    const debug = await cli(['--debug', 'topics', 'plan'], { LOG_LEVEL: 'loud' });
    expect(debug.code).toBe(1);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });
});

describe('paystream on the embedded database', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'paystream-cli-'));
    env = { PAYSTREAM_DATA_DIR: dataDir };
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  it('--json prints one JSON document on stdout and nothing else there; listing never shows a secret', async () => {
    const created = await cli(
      ['--json', 'keys', 'create', '--label', 'nightly export', '--scopes', 'payments:read', '--expires', '2099-01-01'],
      env,
    );
    expect(created.code).toBe(0);
    expect(created.stdout.split('\n')).toHaveLength(1);
    const key = JSON.parse(created.stdout) as Record<string, unknown>;
    expect(key).toMatchObject({
      key: expect.stringMatching(/^psk_[0-9a-f]{12}_/),
      keyId: expect.stringMatching(/^[0-9a-f]{12}$/),
      label: 'nightly export',
      scopes: ['payments:read'],
      expiresAt: '2099-01-01T00:00:00.000Z',
      revokedAt: null,
    });
    // The embedded durability warning is the platform's to give at its start, not every command's.
    expect(created.stderr).not.toMatch(/fsync/);

    const listed = await cli(['keys', 'list', '--json'], env);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const { keys } = JSON.parse(listed.stdout) as { keys: Record<string, unknown>[] };
    expect(keys).toEqual([expect.objectContaining({ keyId: key.keyId, label: 'nightly export' })]);
    expect(listed.stdout).not.toContain((key.key as string).slice(21));

    const revoked = await cli(['--json', 'keys', 'revoke', key.keyId as string], env);
    expect(JSON.parse(revoked.stdout)).toMatchObject({ keyId: key.keyId, revokedBy: 'cli', revokedAt: expect.any(String) });
    expect((await cli(['keys', 'list'], env)).stdout).toMatch(new RegExp(`^${key.keyId as string}  revoked`, 'm'));
  });

  it('says in one line what to do when a running platform holds the embedded database', async () => {
    // A live process other than this one holds the directory's lock, as a running platform does.
    await writeFile(join(dataDir, 'paystream.lock'), String(process.ppid));
    try {
      for (const args of [
        ['audit', 'verify'],
        ['topics', 'plan'],
        ['dlq', 'list', '--topic', 't', '--consumer', 'c'],
        ['keys', 'list'],
      ]) {
        const result = await cli(args, env);
        expect(result.code, args.join(' ')).toBe(1);
        expect(result.stdout).toBe('');
        expect(result.stderr.split('\n')).toEqual([
          expect.stringMatching(
            new RegExp(
              `^paystream: paystream \\(process ${process.ppid}\\) is running on the embedded database .*: (stop it first|it applied|pass an API key)`,
            ),
          ),
        ]);
      }
    } finally {
      await rm(join(dataDir, 'paystream.lock'));
    }
  });
});
