import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelDecisions, type ModelOptions } from '../../../../test/support/authorization-model.ts';
import { override, request, scenarioText, state, watermark, type ScenarioLine } from '../../../../test/support/authorization-scenario.ts';
import { InMemoryKeyValueStore, runSimulated } from '../../../backbone/stream/index.ts';
import { authorizationOptions } from '../options.ts';
import { authorizationProcessor, type AccountRecord, type PartitionRecord } from './authorization-processor.ts';
import { parseScenario, replayScenario } from './replay.ts';
import type { AuthorizationInput, AuthorizationOutput } from './types.ts';

// The processor, with its pruning, against an independent model of the rules that keeps the whole
// history (test/support/authorization-model.ts), over random worlds: a core feed whose updates
// arrive late, reordered and duplicated, honest watermarks (every update as of ≤ T came before),
// bursts of requests within the lateness bound, duplicate requests, overrides at any time.

// Two accounts, one per partition: few enough that an account sees many requests and updates.
const accounts = ['acc-0', 'acc-1'];
const partitionOf = (account: string) => accounts.indexOf(account) % 2;
const requestLatenessMs = 2_000;

const worldArbitrary = fc.record({
  holdTtlMs: fc.constantFrom(1_500, 8_000, 7 * 86_400_000),
  duplicateWindowMs: fc.constantFrom(5_000, 7 * 86_400_000),
  feeds: fc.array(
    fc.record({
      account: fc.constantFrom(...accounts),
      steps: fc.array(
        fc.record({
          // Updates close together make late requests join an older update than the newest: holds confirmed by one and not the other.
          asOfStepMs: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 300, max: 3_000 })),
          delayMs: fc.oneof(
            { weight: 6, arbitrary: fc.integer({ min: 0, max: 200 }) },
            { weight: 3, arbitrary: fc.integer({ min: 200, max: 5_000 }) },
          ),
          redeliverAfterMs: fc.option(fc.integer({ min: 0, max: 3_000 }), { freq: 4 }),
          status: fc.constantFrom('ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'BLOCKED', 'CLOSED'),
          currency: fc.constantFrom('EUR', 'EUR', 'EUR', 'USD'),
          availableMinor: fc.integer({ min: 0, max: 20_000 }),
          authorizedUsers: fc.subarray(['spouse', 'child']),
          confirmNext: fc.integer({ min: 0, max: 3 }),
        }),
        { minLength: 0, maxLength: 12 },
      ),
    }),
    { maxLength: 4 },
  ),
  requests: fc.array(
    fc.record({
      account: fc.constantFrom(...accounts),
      atMs: fc.integer({ min: 0, max: 20_000 }),
      burst: fc.integer({ min: 1, max: 4 }),
      latenessMs: fc.integer({ min: 0, max: 1_000 }),
      user: fc.constantFrom('owner', 'owner', 'spouse', 'stranger'),
      currency: fc.constantFrom('EUR', 'EUR', 'EUR', 'EUR', 'USD'),
      amountMinor: fc.integer({ min: 1, max: 12_000 }),
      duplicateOf: fc.option(fc.nat(), { freq: 8 }),
    }),
    { maxLength: 25 },
  ),
  watermarks: fc.array(fc.record({ partition: fc.constantFrom(0, 1), atMs: fc.integer({ min: 0, max: 25_000 }) }), { maxLength: 20 }),
  overrides: fc.array(fc.record({ of: fc.nat(), afterMs: fc.integer({ min: 0, max: 6_000 }) }), { maxLength: 6 }),
});
type World = typeof worldArbitrary extends fc.Arbitrary<infer T> ? T : never;

function scenarioOf(world: World): ScenarioLine[] {
  const lines: ScenarioLine[] = [];
  const requestIds = new Map<string, { id: string; at: number }[]>();
  const requestLines: { id: string; account: string; atMs: number }[] = [];
  let serial = 0;
  for (const item of world.requests) {
    for (let index = 0; index < item.burst; index++) {
      const earlier =
        item.duplicateOf !== null && requestLines.length > 0 ? requestLines[item.duplicateOf % requestLines.length] : undefined;
      const account = earlier?.account ?? item.account;
      const id = earlier?.id ?? `auth-${serial++}`;
      const atMs = item.atMs + index;
      lines.push(
        request(
          atMs,
          {
            id,
            account,
            user: item.user,
            currency: item.currency,
            amountMinor: item.amountMinor,
            requestedAt: Math.max(0, atMs - item.latenessMs),
          },
          partitionOf(account),
        ),
      );
      requestLines.push({ id, account, atMs });
      requestIds.set(account, [...(requestIds.get(account) ?? []), { id, at: atMs }]);
    }
  }
  // Each account's feed: versions in asOf order, confirmations cumulative, deliveries late and repeated.
  const deliveries: { partition: number; asOfMs: number; atMs: number }[] = [];
  for (const feed of world.feeds) {
    let asOfMs = 0;
    const confirmed: string[] = [];
    const ids = requestIds.get(feed.account) ?? [];
    feed.steps.forEach((step, index) => {
      asOfMs += step.asOfStepMs;
      // The core confirms authorizations it has seen, i.e. requested before this update.
      confirmed.push(
        ...ids
          .filter((id) => !confirmed.includes(id.id) && id.at < asOfMs)
          .map((id) => id.id)
          .slice(0, step.confirmNext),
      );
      const fields = {
        account: feed.account,
        version: index + 1,
        asOf: asOfMs,
        status: step.status as 'ACTIVE' | 'BLOCKED' | 'CLOSED',
        currency: step.currency,
        availableMinor: step.availableMinor,
        authorizedUsers: step.authorizedUsers,
        confirmed: [...confirmed],
      };
      const partition = partitionOf(feed.account);
      lines.push(state(asOfMs + step.delayMs, fields, partition));
      deliveries.push({ partition, asOfMs, atMs: asOfMs + step.delayMs });
      if (step.redeliverAfterMs !== null) lines.push(state(asOfMs + step.delayMs + step.redeliverAfterMs, fields, partition));
    });
  }
  // An honest watermark at time a: below the asOf of every update not delivered by then, and not past a.
  for (const mark of world.watermarks) {
    const undelivered = deliveries.filter((delivery) => delivery.partition === mark.partition && delivery.atMs > mark.atMs);
    const watermarkMs = Math.min(mark.atMs, ...undelivered.map((delivery) => delivery.asOfMs - 1));
    if (watermarkMs >= 0) lines.push(watermark(mark.atMs, watermarkMs, mark.partition));
  }
  for (const item of world.overrides) {
    const target = requestLines[item.of % Math.max(1, requestLines.length)];
    if (target) lines.push(override(target.atMs + item.afterMs, target.id, target.account, partitionOf(target.account)));
  }
  return lines;
}

/** The lines as the replay orders them (stable by arrival), so the model reads the same order. */
const ordered = (lines: ScenarioLine[]): ScenarioLine[] =>
  scenarioText(lines)
    .split('\n')
    .filter((text) => text !== '')
    .map((text) => JSON.parse(text) as ScenarioLine);

const byAccount = <T extends { accountId: string }>(decisions: T[]) =>
  Object.fromEntries(accounts.map((account) => [account, decisions.filter((decision) => decision.accountId === account)]));

describe('the authorization processor against an independent model of the rules', () => {
  it('makes the decisions the model makes, in each account the same order, whatever the feed does (pruning never changes one)', () => {
    fc.assert(
      fc.property(worldArbitrary, (world) => {
        const lines = ordered(scenarioOf(world));
        const modelOptions: ModelOptions = {
          graceMs: 3_000,
          standInLimitMinor: 5_000n,
          holdTtlMs: world.holdTtlMs,
          overrideWindowMs: 4_000,
          duplicateWindowMs: world.duplicateWindowMs,
        };
        const options = authorizationOptions({ ...modelOptions, requestLatenessMs, closedAccountRetentionMs: 10 * 86_400_000 });
        const replayed = replayScenario(scenarioText(lines), options);
        const model = modelDecisions(lines, modelOptions);
        const actual = replayed.decisionLines.map((line) => {
          const { overriddenBy: _by, overrideReason: _why, ...decision } = JSON.parse(line) as Record<string, unknown>;
          return decision as { accountId: string; authorizationId: string; basis: string };
        });
        expect(byAccount(actual)).toEqual(byAccount(model.decisions));
        expect(
          replayed.refusalLines.map((line) => line.replace(/^override of (\S+) by \S+ at (\d+) refused: .*$/, '$1@$2')).sort(),
        ).toEqual([...model.refused].sort());
        // At most one override per decision of an id (an id is decided anew only past the duplicate window).
        const count = (basis: (text: string) => boolean, id: string) =>
          actual.filter((decision) => {
            return decision.authorizationId === id && basis(decision.basis);
          }).length;
        for (const { authorizationId } of actual)
          expect(count((basis) => basis === 'OVERRIDE', authorizationId)).toBeLessThanOrEqual(
            count((basis) => basis !== 'OVERRIDE', authorizationId),
          );
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('state that stays bounded', () => {
  it('keeps a few updates per account however long the feed runs, and forgets decisions past their windows', () => {
    const options = authorizationOptions({ requestLatenessMs: 1_000, holdTtlMs: 5_000, duplicateWindowMs: 5_000, overrideWindowMs: 2_000 });
    const lines: ScenarioLine[] = [];
    for (let second = 0; second < 2_000; second++) {
      const atMs = second * 1_000;
      lines.push(
        state(atMs, { version: second + 1, asOf: atMs, availableMinor: 1_000_000, confirmed: second > 0 ? [`a-${second - 1}`] : [] }),
      );
      lines.push(watermark(atMs, atMs));
      lines.push(request(atMs + 1, { id: `a-${second}`, amountMinor: 100, requestedAt: atMs }));
    }
    const accountsStore = new InMemoryKeyValueStore<AccountRecord>();
    const decided: string[] = [];
    runSimulated<AuthorizationInput, AuthorizationOutput>(
      parseScenario(scenarioText(lines)),
      () => authorizationProcessor(options, { accounts: accountsStore, partition: new InMemoryKeyValueStore<PartitionRecord>() }),
      (output) => {
        if (output.kind === 'decision') decided.push(output.decision.decision);
      },
    );
    expect(decided).toHaveLength(2_000);
    expect(new Set(decided)).toEqual(new Set(['APPROVED']));
    const account = accountsStore.get('acc-1')!;
    expect(account.updates.length).toBeLessThanOrEqual(3);
    expect(account.decided.length).toBeLessThanOrEqual(6);
    expect(account.pending).toEqual([]);
  });

  it('drops a closed account after the retention, and keeps a reopened one', () => {
    const options = authorizationOptions({ closedAccountRetentionMs: 100_000, requestLatenessMs: 1_000, duplicateWindowMs: 1_000 });
    const accountsStore = new InMemoryKeyValueStore<AccountRecord>();
    const lines = [
      state(0, { version: 1, asOf: 0, availableMinor: 0, status: 'CLOSED' }),
      state(0, { account: 'acc-2', version: 1, asOf: 0, availableMinor: 0, status: 'CLOSED' }),
      state(50_000, { account: 'acc-2', version: 2, asOf: 50_000, availableMinor: 0, status: 'ACTIVE' }),
    ];
    runSimulated<AuthorizationInput, AuthorizationOutput>(
      parseScenario(scenarioText(lines)),
      () => authorizationProcessor(options, { accounts: accountsStore, partition: new InMemoryKeyValueStore<PartitionRecord>() }),
      () => {},
    );
    expect(accountsStore.entries().map(([key]) => key)).toEqual(['acc-2']);
  });
});
