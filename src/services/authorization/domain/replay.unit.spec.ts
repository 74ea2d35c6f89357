import { describe, expect, it } from 'vitest';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import { override, request, scenarioText, state, watermark, type ScenarioLine } from '../../../../test/support/authorization-scenario.ts';
import { authorizationOptions, type AuthorizationOptions } from '../options.ts';
import { parseScenario, replayScenario } from './replay.ts';

// The rules of issue 20, one by one, as given (what arrived before) / when (what arrives) / then
// (the decisions, in the order made, with `decidedAt` in simulated ms), on the replay.

function rules(overrides: Partial<AuthorizationOptions> = {}) {
  const options = authorizationOptions(overrides);
  return decisionSpec((given: ScenarioLine[], when: ScenarioLine[]) => {
    const result = replayScenario(scenarioText([...given, ...when]), options);
    return { decisions: result.decisionLines.map((line) => JSON.parse(line) as Record<string, unknown>), refusals: result.refusalLines };
  });
}
const spec = rules();

type Decided = [id: string, decision: string, basis: string, reason: string | null, stateVersion: number | null, decidedAt: number];
function decided(...rows: Decided[]) {
  return {
    decisions: rows.map(([authorizationId, decision, basis, reason, stateVersion, decidedAt]) => ({
      authorizationId,
      decision,
      basis,
      reason,
      stateVersion,
      decisionVersion: basis === 'OVERRIDE' ? 2 : 1,
      decidedAt,
    })),
  };
}

const funded = (at = 0, availableMinor = 10_000, version = 1, asOf = 0) => state(at, { version, asOf, availableMinor });

describe('rule 1: requests of one account are decided one at a time, in arrival order', () => {
  it('a later request whose state is complete waits behind a head that is not', () => {
    spec
      .given([funded(), watermark(0, 50)])
      .when([request(10, { id: 'a1', amountMinor: 100, requestedAt: 100 }), request(20, { id: 'a2', amountMinor: 100, requestedAt: 40 })])
      .thenMatches(decided(['a1', 'APPROVED', 'STAND_IN', null, 1, 3_010], ['a2', 'APPROVED', 'STATE', null, 1, 3_010]));
  });

  it('other accounts do not wait', () => {
    spec
      .given([funded(), state(0, { account: 'acc-2', version: 1, asOf: 0, availableMinor: 10 }), watermark(0, 50)])
      .when([
        request(10, { id: 'a1', amountMinor: 100, requestedAt: 100 }),
        request(20, { id: 'b1', account: 'acc-2', amountMinor: 5, requestedAt: 40 }),
      ])
      .thenMatches(decided(['b1', 'APPROVED', 'STATE', null, 1, 20], ['a1', 'APPROVED', 'STAND_IN', null, 1, 3_010]));
  });
});

describe('rule 2: a request waits for its watermark or for graceMs, whichever comes first', () => {
  it('is decided on arrival when the watermark has reached its event time', () => {
    spec
      .given([funded(), watermark(5, 100)])
      .when([request(10, { id: 'a1', amountMinor: 100, requestedAt: 100 })])
      .thenMatches(decided(['a1', 'APPROVED', 'STATE', null, 1, 10]));
  });

  it('is decided on state when the watermark arrives within the grace', () => {
    spec
      .given([funded(), request(10, { id: 'a1', amountMinor: 100, requestedAt: 100 })])
      .when([watermark(1_500, 99), watermark(2_000, 100)])
      .thenMatches(decided(['a1', 'APPROVED', 'STATE', null, 1, 2_000]));
  });

  it('a watermark arriving exactly at the deadline completes it: decided on state', () => {
    spec
      .given([funded(), request(10, { id: 'a1', amountMinor: 100, requestedAt: 100 })])
      .when([watermark(3_010, 100)])
      .thenMatches(decided(['a1', 'APPROVED', 'STATE', null, 1, 3_010]));
  });

  it('a watermark one ms after the deadline is too late: decided standing in, at the deadline', () => {
    spec
      .given([funded(), request(10, { id: 'a1', amountMinor: 100, requestedAt: 100 })])
      .when([watermark(3_011, 100)])
      .thenMatches(decided(['a1', 'APPROVED', 'STAND_IN', null, 1, 3_010]));
  });

  it('at the deadline, a request waiting behind the head is completed by a watermark later in that instant', () => {
    spec
      .given([
        funded(),
        request(0, { id: 'a1', amountMinor: 100, requestedAt: 100 }),
        request(0, { id: 'a2', amountMinor: 100, requestedAt: 200 }),
      ])
      .when([watermark(3_000, 100), request(3_000, { id: 'a3', amountMinor: 100, requestedAt: 3_000 }), watermark(3_000, 200)])
      .thenMatches(
        decided(
          ['a1', 'APPROVED', 'STATE', null, 1, 3_000],
          ['a2', 'APPROVED', 'STATE', null, 1, 3_000],
          ['a3', 'APPROVED', 'STAND_IN', null, 1, 6_000],
        ),
      );
  });

  it('graceMs is an option', () => {
    rules({ graceMs: 500 })
      .given([funded()])
      .when([request(10, { id: 'a1', amountMinor: 100, requestedAt: 100 })])
      .thenMatches(decided(['a1', 'APPROVED', 'STAND_IN', null, 1, 510]));
  });
});

describe('rule 3: the as-of join, and stale versions ignored', () => {
  const versions = [
    state(0, { version: 1, asOf: 0, availableMinor: 100 }),
    state(0, { version: 2, asOf: 50, availableMinor: 200 }),
    state(0, { version: 3, asOf: 150, availableMinor: 300 }),
  ];

  it('uses the update with the largest asOf at or before the event time', () => {
    spec
      .given([...versions, watermark(0, 1_000)])
      .when([request(10, { id: 'a1', amountMinor: 1, requestedAt: 100 }), request(10, { id: 'a2', amountMinor: 1, requestedAt: 150 })])
      .thenMatches(decided(['a1', 'APPROVED', 'STATE', null, 2, 10], ['a2', 'APPROVED', 'STATE', null, 3, 10]));
  });

  it('a tie on asOf goes to the higher version', () => {
    spec
      .given([
        state(0, { version: 1, asOf: 50, availableMinor: 1_000 }),
        state(0, { version: 2, asOf: 50, availableMinor: 10 }),
        watermark(0, 100),
      ])
      .when([request(10, { id: 'a1', amountMinor: 500, requestedAt: 100 })])
      .thenMatches(decided(['a1', 'DECLINED', 'STATE', 'INSUFFICIENT_FUNDS', 2, 10]));
  });

  it('an update whose version is not above every version received is ignored, even when it arrives late with an earlier asOf', () => {
    spec
      .given([state(0, { version: 2, asOf: 80, availableMinor: 1_000 }), state(1, { version: 1, asOf: 40, availableMinor: 1_000 })])
      .when([
        state(2, { version: 2, asOf: 40, availableMinor: 1_000 }),
        watermark(3, 100),
        request(10, { id: 'a1', amountMinor: 5, requestedAt: 50 }),
      ])
      .thenMatches(decided(['a1', 'DECLINED', 'STATE', 'UNKNOWN_ACCOUNT', null, 10]));
  });

  it('an update received after the decision does not change it', () => {
    spec
      .given([funded(0, 100), watermark(0, 100), request(10, { id: 'a1', amountMinor: 500, requestedAt: 100 })])
      .when([state(20, { version: 2, asOf: 90, availableMinor: 1_000 })])
      .thenMatches(decided(['a1', 'DECLINED', 'STATE', 'INSUFFICIENT_FUNDS', 1, 10]));
  });
});

describe('rule 4: complete, the checks in order', () => {
  const decideOn = (fields: Partial<Parameters<typeof state>[1]> | undefined, requestFields: Partial<Parameters<typeof request>[1]> = {}) =>
    spec
      .given([...(fields ? [state(0, { version: 1, asOf: 0, availableMinor: 1_000, ...fields })] : []), watermark(0, 100)])
      .when([request(10, { id: 'a1', amountMinor: 1_000, requestedAt: 100, ...requestFields })]);

  it.for([
    ['no state', undefined, {}, 'UNKNOWN_ACCOUNT'],
    ['BLOCKED, before the user', { status: 'BLOCKED', owner: 'someone-else' }, {}, 'ACCOUNT_NOT_ACTIVE'],
    ['CLOSED', { status: 'CLOSED' }, {}, 'ACCOUNT_NOT_ACTIVE'],
    ['a stranger, before the currency', { currency: 'USD' }, { user: 'stranger' }, 'UNKNOWN_USER'],
    ['another currency, before the funds', { currency: 'USD', availableMinor: 0 }, {}, 'CURRENCY_MISMATCH'],
    ['one minor unit short', { availableMinor: 999 }, {}, 'INSUFFICIENT_FUNDS'],
  ] as const)('%s → DECLINED %s', ([, fields, requestFields, reason]) => {
    decideOn(fields, requestFields).thenMatches(decided(['a1', 'DECLINED', 'STATE', reason, fields ? 1 : null, 10]));
  });

  it('the exact available amount, by an authorized user → APPROVED on state', () => {
    decideOn({}, { user: 'spouse' }).thenMatches(decided(['a1', 'APPROVED', 'STATE', null, 1, 10]));
  });
});

describe('rule 5: timed out, a stand-in decision', () => {
  const standIn = (given: ScenarioLine[], amountMinor: number) =>
    rules({ standInLimitMinor: 5_000n })
      .given(given)
      .when([request(10, { id: 'a1', amountMinor, requestedAt: 100 })]);

  it('no state → NO_STATE', () => standIn([], 1).thenMatches(decided(['a1', 'DECLINED', 'STAND_IN', 'NO_STATE', null, 3_010])));
  it('the checks of rule 4 first: funds before the limit', () =>
    standIn([funded(0, 4_000)], 6_000).thenMatches(decided(['a1', 'DECLINED', 'STAND_IN', 'INSUFFICIENT_FUNDS', 1, 3_010])));
  it('not active → ACCOUNT_NOT_ACTIVE', () =>
    standIn([state(0, { version: 1, asOf: 0, availableMinor: 1, status: 'BLOCKED' })], 1).thenMatches(
      decided(['a1', 'DECLINED', 'STAND_IN', 'ACCOUNT_NOT_ACTIVE', 1, 3_010]),
    ));
  it('above the limit → STAND_IN_LIMIT', () =>
    standIn([funded(0, 100_000)], 5_001).thenMatches(decided(['a1', 'DECLINED', 'STAND_IN', 'STAND_IN_LIMIT', 1, 3_010])));
  it('at the limit → APPROVED', () =>
    standIn([funded(0, 100_000)], 5_000).thenMatches(decided(['a1', 'APPROVED', 'STAND_IN', null, 1, 3_010])));
  it('the state it has may be older than the event time', () =>
    standIn([funded(0, 100_000, 1, 0), state(0, { version: 2, asOf: 500, availableMinor: 0 })], 10).thenMatches(
      decided(['a1', 'APPROVED', 'STAND_IN', null, 1, 3_010]),
    ));
});

describe('rule 6: holds, their end, duplicates', () => {
  const complete = [funded(0, 10_000), watermark(0, 1_000_000)];

  it('an approval holds its amount against later requests', () => {
    spec
      .given(complete)
      .when([
        request(10, { id: 'a1', amountMinor: 6_000, requestedAt: 10 }),
        request(20, { id: 'a2', amountMinor: 4_001, requestedAt: 20 }),
      ])
      .thenMatches(decided(['a1', 'APPROVED', 'STATE', null, 1, 10], ['a2', 'DECLINED', 'STATE', 'INSUFFICIENT_FUNDS', 1, 20]));
  });

  it('a hold the state confirms is in its availableMinor already, so it is not subtracted twice', () => {
    spec
      .given([...complete, request(10, { id: 'a1', amountMinor: 6_000, requestedAt: 10 })])
      .when([
        state(30, { version: 2, asOf: 25, availableMinor: 4_000, confirmed: ['a1'] }),
        request(40, { id: 'a2', amountMinor: 4_000, requestedAt: 40 }),
      ])
      .thenMatches(decided(['a1', 'APPROVED', 'STATE', null, 1, 10], ['a2', 'APPROVED', 'STATE', null, 2, 40]));
  });

  it('a request as of a state that does not confirm the hold yet still sees it', () => {
    spec
      .given([...complete, request(10, { id: 'a1', amountMinor: 6_000, requestedAt: 10 })])
      .when([
        state(30, { version: 2, asOf: 25, availableMinor: 4_000, confirmed: ['a1'] }),
        request(40, { id: 'a2', amountMinor: 4_001, requestedAt: 20 }),
      ])
      .thenMatches(decided(['a1', 'APPROVED', 'STATE', null, 1, 10], ['a2', 'DECLINED', 'STATE', 'INSUFFICIENT_FUNDS', 1, 40]));
  });

  it('a hold ends holdTtlMs after its decision, exactly', () => {
    rules({ holdTtlMs: 1_000 })
      .given([...complete, request(10, { id: 'a1', amountMinor: 6_000, requestedAt: 10 })])
      .when([
        request(1_009, { id: 'a2', amountMinor: 6_000, requestedAt: 1_009 }),
        request(1_010, { id: 'a3', amountMinor: 6_000, requestedAt: 1_010 }),
      ])
      .thenMatches(
        decided(
          ['a1', 'APPROVED', 'STATE', null, 1, 10],
          ['a2', 'DECLINED', 'STATE', 'INSUFFICIENT_FUNDS', 1, 1_009],
          ['a3', 'APPROVED', 'STATE', null, 1, 1_010],
        ),
      );
  });

  it('a duplicate request is ignored, pending or decided', () => {
    spec
      .given([funded(0, 10_000)])
      .when([
        request(10, { id: 'a1', amountMinor: 1, requestedAt: 10 }),
        request(11, { id: 'a1', amountMinor: 9_999_999, requestedAt: 11 }),
        watermark(20, 20),
        request(30, { id: 'a1', amountMinor: 1, requestedAt: 12 }),
      ])
      .thenMatches(decided(['a1', 'APPROVED', 'STATE', null, 1, 20]));
  });
});

describe('rule 7: an override within the window', () => {
  const declined = [funded(0, 1_000), watermark(0, 1_000_000), request(10, { id: 'a1', amountMinor: 5_000, requestedAt: 10 })];
  const declinedOnFunds: ReturnType<typeof decided>['decisions'][number] = decided(['a1', 'DECLINED', 'STATE', 'INSUFFICIENT_FUNDS', 1, 10])
    .decisions[0]!;

  it('approves a decline: decisionVersion 2, basis OVERRIDE, who and why recorded', () => {
    spec
      .given(declined)
      .when([override(60_010, 'a1')])
      .thenMatches({
        decisions: [
          declinedOnFunds,
          {
            ...decided(['a1', 'APPROVED', 'OVERRIDE', null, 1, 60_010]).decisions[0]!,
            overriddenBy: 'ops-officer-7',
            overrideReason: 'customer called',
          },
        ],
        refusals: [],
      });
  });

  it('the override holds the amount', () => {
    spec
      .given([...declined, override(20, 'a1')])
      .when([state(30, { version: 2, asOf: 0, availableMinor: 10_000 }), request(40, { id: 'a2', amountMinor: 5_001, requestedAt: 40 })])
      .thenMatches(
        decided(
          ['a1', 'DECLINED', 'STATE', 'INSUFFICIENT_FUNDS', 1, 10],
          ['a1', 'APPROVED', 'OVERRIDE', null, 1, 20],
          ['a2', 'DECLINED', 'STATE', 'INSUFFICIENT_FUNDS', 2, 40],
        ),
      );
  });

  it.for([
    ['one ms past the window', [override(60_011, 'a1')], 'WINDOW_CLOSED'],
    ['twice', [override(20, 'a1'), override(30, 'a1')], 'ALREADY_OVERRIDDEN'],
    [
      'when the newest state is not ACTIVE, even as of after the request',
      [state(20, { version: 2, asOf: 500, availableMinor: 0, status: 'BLOCKED' }), override(30, 'a1')],
      'ACCOUNT_NOT_ACTIVE',
    ],
    ['for an unknown authorization', [override(30, 'zz')], 'UNKNOWN_DECISION'],
  ] as const)('is refused %s: no decision', ([, when, refusal]) => {
    spec
      .given(declined)
      .when([...when])
      .thenSatisfies(({ decisions, refusals }) => {
        expect(decisions.filter((decision) => decision.basis === 'OVERRIDE').length).toBe(refusal === 'ALREADY_OVERRIDDEN' ? 1 : 0);
        expect(refusals).toHaveLength(1);
        expect(refusals[0]).toMatch(new RegExp(`refused: ${refusal}$`));
      });
  });

  it.for([
    ['an approval', 1_000, 'USD', 'NOT_OVERRIDABLE'],
    ['a CURRENCY_MISMATCH', 1, 'USD', 'NOT_OVERRIDABLE'],
  ] as const)('is refused for %s', ([, amountMinor, currency, refusal]) => {
    spec
      .given([
        funded(0, 1_000),
        watermark(0, 100),
        request(10, { id: 'a1', amountMinor, currency: amountMinor === 1_000 ? 'EUR' : currency, requestedAt: 10 }),
      ])
      .when([override(20, 'a1')])
      .thenMatches({ refusals: [`override of a1 by ops-officer-7 at 20 refused: ${refusal}`] });
  });
});

describe('the scenario file', () => {
  it.for([
    ['{"at": 0, "kind": "request"', 'line 2: not a JSON object'],
    ['{"at": -1, "kind": "watermark", "value": {"watermark": 1}}', 'line 2: at must be a whole number ≥ 0'],
    ['{"at": 5, "kind": "bogus", "value": {}}', 'line 2: kind must be request, state, watermark or override, not "bogus"'],
    [
      '{"at": 5, "kind": "watermark", "value": {"watermark": 1}}\n{"at": 4, "kind": "watermark", "value": {"watermark": 2}}',
      'line 3: at 4 is before',
    ],
  ])('names the line of a bad input: %s', ([bad, message]) => {
    expect(() => parseScenario(`{"at": 0, "kind": "watermark", "value": {"watermark": 0}}\n${bad}\n`)).toThrow(message);
  });

  it('refuses an amount that is not whole minor units', () => {
    const line = JSON.stringify(request(0, { id: 'a1', amountMinor: 1, requestedAt: 0 })).replace(
      '"amountMinor":"1"',
      '"amountMinor":"12.50"',
    );
    expect(() => parseScenario(line)).toThrow('line 1: value.amountMinor must be whole minor units ≥ 0, as a decimal string like "1250"');
  });
});
