import type { SqlRunner } from '../../backbone/storage/database.ts';
import { permanentError } from '../../backbone/errors.ts';
import type { StreamInput, StreamProcessorDefinition } from '../../backbone/stream/index.ts';
import type { ConsumedEvent } from '../../backbone/consumer/handler.ts';
import {
  AuthorizationTopics,
  isAuthorizationEventOf,
  type AccountStateMessage,
  type AuthorizationDecided,
} from '../../contracts/authorizations.ts';
import {
  authorizationProcessor,
  type AccountRecord,
  type AuthorizationHooks,
  type PartitionRecord,
} from './domain/authorization-processor.ts';
import type { AuthorizationDecision, AuthorizationInput, AuthorizationOutput } from './domain/types.ts';
import type { AuthorizationOptions } from './options.ts';
import { accountRecordCodec, partitionRecordCodec } from './state-codecs.ts';

/** The processor's stores: an account record per account id, and its partition's newest request time. */
export interface AuthorizationStoreValues extends Record<string, unknown> {
  accounts: AccountRecord;
  partition: PartitionRecord;
}

/** The stream runner's consumer group and the owner of the processor's rows. */
export const authorizationProcessorName = 'authorization';

/**
 * The authorization processor as the live stream runner runs it (src/backbone/stream/): its three
 * co-partitioned inputs, its two stores and their codecs, its decisions published on
 * `authorizations.decided.v1` and kept, with the overrides' outcomes, in the service's projection
 * in the batch's transaction. The processor is the replay's, unchanged.
 */
export function authorizationStreamDefinition(
  options: AuthorizationOptions,
  hooks: AuthorizationHooks = {},
): StreamProcessorDefinition<AuthorizationInput, AuthorizationOutput, AuthorizationStoreValues> {
  return {
    name: authorizationProcessorName,
    inputs: [
      { topic: AuthorizationTopics.requested, toInput: requestInput },
      { topic: AuthorizationTopics.accountState, toInput: stateInput },
      { topic: AuthorizationTopics.overrideRequested, toInput: overrideInput },
    ],
    stores: {
      accounts: { codec: accountRecordCodec },
      // One small value per partition: in the partition's locked row, not a row of its own.
      partition: { codec: partitionRecordCodec, scope: 'partition' },
    },
    build: (stores) => authorizationProcessor(options, stores, hooks),
    toEvent: (output) =>
      output.kind === 'decision'
        ? {
            event: {
              topic: AuthorizationTopics.decided,
              eventType: 'AuthorizationDecided',
              key: output.decision.accountId,
              payload: decidedPayload(output.decision),
            },
            correlationId: output.decision.authorizationId,
          }
        : // A refused override is an answer to the route (409), kept in the projection, not an event.
          undefined,
    record: recordOutputs,
  };
}

/** `authorizations.decided.v1`'s payload of a decision. */
export function decidedPayload(decision: AuthorizationDecision): AuthorizationDecided {
  return {
    authorizationId: decision.authorizationId,
    accountId: decision.accountId,
    decision: decision.decision,
    basis: decision.basis,
    reason: decision.reason,
    stateVersion: decision.stateVersion === null ? null : BigInt(decision.stateVersion),
    decisionVersion: decision.decisionVersion,
    decidedAt: BigInt(decision.decidedAtMs),
    overriddenBy: decision.override?.by ?? null,
    overrideReason: decision.override?.why ?? null,
  };
}

function requestInput(event: ConsumedEvent): StreamInput<AuthorizationInput> | undefined {
  if (!isAuthorizationEventOf(event, AuthorizationTopics.requested)) return undefined;
  const { requestedAt, ...request } = event.payload;
  return {
    kind: 'record',
    key: request.accountId,
    value: { kind: 'request', request: { ...request, requestedAtMs: Number(requestedAt) } },
  };
}

function stateInput(event: ConsumedEvent): StreamInput<AuthorizationInput> | undefined {
  if (!isAuthorizationEventOf(event, AuthorizationTopics.accountState)) return undefined;
  const message: AccountStateMessage = event.payload;
  if (message.watermark !== null) return { kind: 'watermark', watermarkMs: Number(message.watermark) };
  const { accountId, version, asOf, status, ownerUserId, currency, availableMinor } = message;
  if (
    accountId === null ||
    version === null ||
    asOf === null ||
    status === null ||
    ownerUserId === null ||
    currency === null ||
    availableMinor === null
  )
    throw permanentError('an accounts.state.v1 record is a watermark or a whole state update: a field of the update is missing');
  return {
    kind: 'record',
    key: accountId,
    value: {
      kind: 'state',
      update: {
        accountId,
        version: Number(version),
        asOfMs: Number(asOf),
        status,
        ownerUserId,
        authorizedUsers: message.authorizedUsers,
        currency,
        availableMinor,
        confirmedAuthorizationIds: message.confirmedAuthorizationIds,
      },
    },
  };
}

function overrideInput(event: ConsumedEvent): StreamInput<AuthorizationInput> | undefined {
  if (!isAuthorizationEventOf(event, AuthorizationTopics.overrideRequested)) return undefined;
  const override = event.payload;
  return { kind: 'record', key: override.accountId, value: { kind: 'override', override } };
}

/** The batch's decisions and override outcomes into the projection: at most three statements. */
async function recordOutputs(tx: SqlRunner, outputs: readonly AuthorizationOutput[]): Promise<void> {
  const decisions = outputs.flatMap((output) => (output.kind === 'decision' ? [output.decision] : []));
  if (decisions.length > 0)
    await tx.query(
      `insert into authorization_decisions
         (authorization_id, decision_version, account_id, decision, basis, reason, state_version, decided_at_ms, overridden_by, override_reason)
       select * from unnest($1::text[], $2::int4[], $3::text[], $4::text[], $5::text[], $6::text[], $7::int8[], $8::int8[], $9::text[], $10::text[])
       on conflict (authorization_id, decision_version) do update set
         decision = excluded.decision, basis = excluded.basis, reason = excluded.reason, state_version = excluded.state_version,
         decided_at_ms = excluded.decided_at_ms, overridden_by = excluded.overridden_by, override_reason = excluded.override_reason`,
      [
        decisions.map((decision) => decision.authorizationId),
        decisions.map((decision) => decision.decisionVersion),
        decisions.map((decision) => decision.accountId),
        decisions.map((decision) => decision.decision),
        decisions.map((decision) => decision.basis),
        decisions.map((decision) => decision.reason),
        decisions.map((decision) => (decision.stateVersion === null ? null : String(decision.stateVersion))),
        decisions.map((decision) => String(decision.decidedAtMs)),
        decisions.map((decision) => decision.override?.by ?? null),
        decisions.map((decision) => decision.override?.why ?? null),
      ],
    );
  const outcomes = outputs.flatMap((output): OverrideOutcome[] => {
    if (output.kind === 'decision')
      return output.decision.override?.overrideId
        ? [{ overrideId: output.decision.override.overrideId, outcome: 'APPROVED', refusal: null, atMs: output.decision.decidedAtMs }]
        : [];
    return output.override.overrideId
      ? [{ overrideId: output.override.overrideId, outcome: 'REFUSED', refusal: output.refusal, atMs: output.atMs }]
      : [];
  });
  if (outcomes.length > 0)
    await tx.query(
      `update authorization_overrides o set outcome = u.outcome, refusal = u.refusal, decided_at_ms = u.at_ms
         from unnest($1::text[], $2::text[], $3::text[], $4::int8[]) as u(override_id, outcome, refusal, at_ms)
        where o.override_id = u.override_id`,
      [
        outcomes.map((outcome) => outcome.overrideId),
        outcomes.map((outcome) => outcome.outcome),
        outcomes.map((outcome) => outcome.refusal),
        outcomes.map((outcome) => String(outcome.atMs)),
      ],
    );
}

interface OverrideOutcome {
  overrideId: string;
  outcome: 'APPROVED' | 'REFUSED';
  refusal: string | null;
  atMs: number;
}
