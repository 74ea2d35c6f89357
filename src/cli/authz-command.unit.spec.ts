import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { override, request, scenarioText, state, watermark } from '../../test/support/authorization-scenario.ts';
import { runCli } from './program.ts';

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (text) => out.push(text), err: (text) => err.push(text), env: {} });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

let dir: string;
let scenario: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'paystream-authz-'));
  scenario = join(dir, 'scenario.jsonl');
  await writeFile(
    scenario,
    scenarioText([
      state(0, { version: 1, asOf: 0, availableMinor: 10_000 }),
      request(10, { id: 'a1', amountMinor: 6_000, requestedAt: 5 }),
      request(20, { id: 'a2', user: 'spouse', amountMinor: 6_000, requestedAt: 15 }),
      watermark(100, 50),
      override(200, 'a2'),
      override(300, 'a2'),
      request(300, { id: 'a3', account: 'acc-2', amountMinor: 100, requestedAt: 300 }),
    ]),
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('paystream authz replay', () => {
  const expected = [
    '{"authorizationId":"a1","accountId":"acc-1","decision":"APPROVED","basis":"STATE","reason":null,"stateVersion":1,"decisionVersion":1,"decidedAt":100}',
    '{"authorizationId":"a2","accountId":"acc-1","decision":"DECLINED","basis":"STATE","reason":"INSUFFICIENT_FUNDS","stateVersion":1,"decisionVersion":1,"decidedAt":100}',
    '{"authorizationId":"a2","accountId":"acc-1","decision":"APPROVED","basis":"OVERRIDE","reason":null,"stateVersion":1,"decisionVersion":2,"decidedAt":200,"overriddenBy":"ops-officer-7","overrideReason":"customer called"}',
    '{"authorizationId":"a3","accountId":"acc-2","decision":"DECLINED","basis":"STAND_IN","reason":"NO_STATE","stateVersion":null,"decisionVersion":1,"decidedAt":3300}',
  ].join('\n');

  it('prints the decisions as JSON lines in the order made, the same bytes on every run; refused overrides on stderr', async () => {
    const first = await cli(['authz', 'replay', '--input', scenario]);
    expect(first).toEqual({ code: 0, stdout: expected, stderr: 'override of a2 by ops-officer-7 at 300 refused: ALREADY_OVERRIDDEN' });
    expect(await cli(['authz', 'replay', '--input', scenario])).toEqual(first);
  });

  it('takes the grace, the stand-in limit, the hold TTL and the override window as options', async () => {
    const result = await cli([
      'authz',
      'replay',
      '--input',
      scenario,
      '--grace-ms',
      '50',
      '--stand-in-limit',
      '50',
      '--override-window-ms',
      '10',
      '--hold-ttl-ms',
      '1',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>)).toMatchObject([
      { authorizationId: 'a1', decision: 'DECLINED', basis: 'STAND_IN', reason: 'STAND_IN_LIMIT', decidedAt: 60 },
      { authorizationId: 'a2', decision: 'DECLINED', basis: 'STAND_IN', reason: 'STAND_IN_LIMIT', decidedAt: 70 },
      { authorizationId: 'a3', decision: 'DECLINED', basis: 'STAND_IN', reason: 'NO_STATE', decidedAt: 350 },
    ]);
    expect(result.stderr).toContain('override of a2 by ops-officer-7 at 200 refused: WINDOW_CLOSED');
  });

  it('names the file and the line of a bad input, exit 1', async () => {
    const bad = join(dir, 'bad.jsonl');
    await writeFile(bad, `${JSON.stringify(watermark(0, 0))}\n{"at": 1, "kind": "request", "value": {"authorizationId": "a1"}}\n`);
    expect(await cli(['authz', 'replay', '--input', bad])).toEqual({
      code: 1,
      stdout: '',
      stderr: `paystream: ${bad} line 2: value.accountId must be a non-empty string`,
    });
  });

  it('refuses a missing file (exit 1) and a bad option (exit 2)', async () => {
    expect(await cli(['authz', 'replay', '--input', join(dir, 'missing.jsonl')])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('ENOENT'),
    });
    expect(await cli(['authz', 'replay', '--input', scenario, '--grace-ms', '1.5'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('a whole number'),
    });
  });
});
