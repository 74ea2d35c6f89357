/**
 * Scenario lines for the authorization replay (docs/authorization.md), written the way the replay
 * reads them, for the rule specs and the property test.
 */
export type ScenarioLine = Record<string, unknown> & { at: number; kind: string };

export interface RequestFields {
  id: string;
  account?: string;
  user?: string;
  amountMinor: bigint | number;
  currency?: string;
  requestedAt: number;
}

export function request(at: number, fields: RequestFields, partition?: number): ScenarioLine {
  return line(at, 'request', partition, {
    authorizationId: fields.id,
    accountId: fields.account ?? 'acc-1',
    userId: fields.user ?? 'owner',
    amountMinor: String(fields.amountMinor),
    currency: fields.currency ?? 'EUR',
    merchant: { id: 'm-1', categoryCode: '5411', country: 'FR' },
    requestedAt: fields.requestedAt,
  });
}

export interface StateFields {
  account?: string;
  version: number;
  asOf: number;
  status?: 'ACTIVE' | 'BLOCKED' | 'CLOSED';
  owner?: string;
  authorizedUsers?: string[];
  currency?: string;
  availableMinor: bigint | number;
  confirmed?: string[];
}

export function state(at: number, fields: StateFields, partition?: number): ScenarioLine {
  return line(at, 'state', partition, {
    accountId: fields.account ?? 'acc-1',
    version: fields.version,
    asOf: fields.asOf,
    status: fields.status ?? 'ACTIVE',
    ownerUserId: fields.owner ?? 'owner',
    authorizedUsers: fields.authorizedUsers ?? ['spouse'],
    currency: fields.currency ?? 'EUR',
    availableMinor: String(fields.availableMinor),
    confirmedAuthorizationIds: fields.confirmed ?? [],
  });
}

export function watermark(at: number, watermarkMs: number, partition?: number): ScenarioLine {
  return line(at, 'watermark', partition, { watermark: watermarkMs });
}

export function override(at: number, id: string, account = 'acc-1', partition?: number): ScenarioLine {
  return line(at, 'override', partition, { authorizationId: id, accountId: account, by: 'ops-officer-7', why: 'customer called' });
}

/** The lines as a scenario file: one JSON object per line, stable by arrival time. */
export function scenarioText(lines: readonly ScenarioLine[]): string {
  return (
    [...lines]
      .map((item, index) => ({ item, index }))
      .sort((a, b) => a.item.at - b.item.at || a.index - b.index)
      .map(({ item }) => JSON.stringify(item))
      .join('\n') + '\n'
  );
}

function line(at: number, kind: string, partition: number | undefined, value: Record<string, unknown>): ScenarioLine {
  return { at, kind, ...(partition !== undefined && { partition }), value };
}
