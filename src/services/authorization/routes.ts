import type { FastifyInstance } from 'fastify';
import type { Clock, IdGenerator } from '../../backbone/clock/clock.ts';
import type { Database } from '../../backbone/storage/database.ts';
import { AuthorizationTopics, type AuthorizationOverrideRequested, type AuthorizationRequested } from '../../contracts/authorizations.ts';
import { formatDecimal, parseDecimal } from '../../contracts/money.ts';
import { problemResponses } from '../http/openapi.ts';
import { ProblemError, problemOf, sendProblem } from '../http/problem.ts';
import { Scopes, type RequireScope } from '../http/scopes.ts';
import type { EventPublisher } from '../service.ts';
import { readAuthorization, type AuthorizationView } from './queries.ts';

export interface AuthorizationRoutesOptions {
  db: Database;
  publisher: EventPublisher;
  clock: Clock;
  ids: IdGenerator;
  requireScope: RequireScope;
  /** How long `POST …/override` waits for the processor's outcome before answering 202. */
  overrideWaitMs: number;
  /** Between two looks at the outcome while waiting. */
  overridePollMs: number;
}

const idPattern = '^[A-Za-z0-9._:-]{1,64}$';

const requestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['accountId', 'userId', 'amount', 'currency', 'merchant'],
  properties: {
    authorizationId: {
      type: 'string',
      pattern: idPattern,
      description: 'Your id for the request (a card network’s); the same id again is the same request. Generated when absent.',
    },
    accountId: { type: 'string', pattern: idPattern },
    userId: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: 'The card holder: the account’s owner or one of its authorized users',
    },
    amount: { type: 'string', pattern: '^[0-9]{1,18}(\\.[0-9]+)?$', description: 'A decimal string in `currency`' },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    merchant: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'categoryCode', 'country'],
      properties: {
        id: { type: 'string', minLength: 1, maxLength: 64 },
        categoryCode: { type: 'string', pattern: '^[0-9]{4}$', description: 'ISO 18245 merchant category code' },
        country: { type: 'string', pattern: '^[A-Z]{2}$' },
      },
    },
    requestedAt: { type: 'string', format: 'date-time', description: 'When the card was presented (event time); now when absent' },
  },
} as const;

const overrideSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['by', 'why'],
  properties: {
    by: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: 'Who approves: the account’s owner (through the bank’s app) or an ops officer',
    },
    why: { type: 'string', minLength: 1, maxLength: 280 },
  },
} as const;

const decisionSchema = {
  type: 'object',
  required: ['decision', 'basis', 'reason', 'stateVersion', 'decisionVersion', 'decidedAt', 'overriddenBy', 'overrideReason'],
  properties: {
    decision: { type: 'string', enum: ['APPROVED', 'DECLINED'] },
    basis: { type: 'string', enum: ['STATE', 'STAND_IN', 'OVERRIDE'] },
    reason: { type: ['string', 'null'], description: 'Null when approved, else why it was declined' },
    stateVersion: { type: ['integer', 'null'], description: 'The version of the account state used' },
    decisionVersion: { type: 'integer', description: '1, or 2 for an override' },
    decidedAt: { type: 'string', format: 'date-time' },
    overriddenBy: { type: ['string', 'null'] },
    overrideReason: { type: ['string', 'null'] },
  },
} as const;

const authorizationSchema = {
  type: 'object',
  required: ['authorizationId', 'accountId', 'status', 'decisions', 'overrides', 'links'],
  properties: {
    authorizationId: { type: 'string' },
    accountId: { type: 'string' },
    status: { type: 'string', enum: ['PENDING', 'APPROVED', 'DECLINED'], description: 'The latest decision, or PENDING before the first' },
    amount: { type: ['string', 'null'] },
    currency: { type: ['string', 'null'] },
    decisions: { type: 'array', items: decisionSchema, description: 'In decision version order' },
    overrides: {
      type: 'array',
      items: {
        type: 'object',
        required: ['overrideId', 'by', 'why', 'outcome', 'refusal'],
        properties: {
          overrideId: { type: 'string' },
          by: { type: 'string' },
          why: { type: 'string' },
          outcome: { type: 'string', enum: ['PENDING', 'APPROVED', 'REFUSED'] },
          refusal: { type: ['string', 'null'] },
        },
      },
    },
    links: { type: 'object', properties: { self: { type: 'string' } } },
  },
} as const;

interface RequestBody {
  authorizationId?: string;
  accountId: string;
  userId: string;
  amount: string;
  currency: string;
  merchant: { id: string; categoryCode: string; country: string };
  requestedAt?: string;
}

/**
 * `POST /v1/authorizations` (202: the request is published to the account's partition through the
 * outbox), `GET /v1/authorizations/{id}` (its decisions, from the service's projection) and
 * `POST /v1/authorizations/{id}/override` (the override is the processor's to decide, in the
 * account's partition: the route sends it and waits, bounded, for the outcome).
 */
export function authorizationRoutes(options: AuthorizationRoutesOptions) {
  const { db, publisher, clock, ids, requireScope } = options;
  return async (app: FastifyInstance) => {
    app.post<{ Body: RequestBody }>(
      '/v1/authorizations',
      {
        preValidation: requireScope(Scopes.authorizationsWrite),
        schema: {
          tags: ['authorizations'],
          operationId: 'requestAuthorization',
          summary: 'Ask for a payment authorization; answered 202 at once, decided by the authorization processor',
          description:
            'Decided on the account’s state once the core’s feed has caught up with `requestedAt`, or stood in after the grace (3 s) on the state it has. Poll the Location.',
          body: requestSchema,
          response: { 202: authorizationSchema, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        const amount = parseDecimal(body.amount, body.currency, { positive: true });
        if (!amount.ok)
          throw new ProblemError(
            amount.failure === 'unknown-currency'
              ? 'unknown-currency'
              : amount.failure === 'too-many-decimals'
                ? 'too-many-decimals'
                : 'invalid-amount',
            `amount ${body.amount} ${body.currency} is not a payable amount`,
            amount.failure === 'unknown-currency' ? '/currency' : '/amount',
          );
        const nowMs = clock.nowMs();
        const requestedAtMs = body.requestedAt === undefined ? nowMs : Date.parse(body.requestedAt);
        if (!Number.isFinite(requestedAtMs)) throw new ProblemError('invalid-field', 'requestedAt is not a date-time', '/requestedAt');
        const authorizationId = body.authorizationId ?? ids.eventId();
        const payload: AuthorizationRequested = {
          authorizationId,
          accountId: body.accountId,
          userId: body.userId,
          amountMinor: amount.amountMinor,
          currency: body.currency,
          merchant: body.merchant,
          requestedAt: BigInt(requestedAtMs),
        };
        const conflict = await db.transaction(async (tx) => {
          const existing = await tx.query<{ inserted: number; account_id: string; amount_minor: bigint; currency: string }>(
            `with inserted as (
               insert into authorization_requests (authorization_id, account_id, amount_minor, currency, received_at_ms)
               values ($1, $2, $3, $4, $5) on conflict (authorization_id) do nothing returning 1)
             select (select count(*) from inserted)::int4 as inserted, account_id, amount_minor, currency
               from authorization_requests where authorization_id = $1`,
            [authorizationId, body.accountId, amount.amountMinor.toString(), body.currency, String(nowMs)],
          );
          // The outer select reads the snapshot before the insert: a row means the id was asked before.
          const row = existing.rows[0];
          if (row && row.inserted === 0) {
            // The same id again: the same request (nothing to publish), unless it differs.
            if (row.account_id !== body.accountId || row.amount_minor !== amount.amountMinor || row.currency !== body.currency) return true;
            return false;
          }
          await publisher.publish(
            tx,
            [{ topic: AuthorizationTopics.requested, eventType: 'AuthorizationRequested', key: body.accountId, payload }],
            { correlationId: authorizationId },
          );
          return false;
        });
        if (conflict)
          return sendProblem(
            reply,
            problemOf('conflict', `authorization ${authorizationId} was asked before with another account or amount`),
          );
        const view = await readAuthorization(db, authorizationId);
        return reply.code(202).header('location', selfOf(authorizationId)).send(present(view!));
      },
    );

    app.get<{ Params: { authorizationId: string } }>(
      '/v1/authorizations/:authorizationId',
      {
        preValidation: requireScope(Scopes.authorizationsRead),
        schema: {
          tags: ['authorizations'],
          operationId: 'getAuthorization',
          summary: 'An authorization: its decision (and its override’s), PENDING before the first',
          params: { type: 'object', properties: { authorizationId: { type: 'string', pattern: idPattern } } },
          response: { 200: authorizationSchema, ...problemResponses(400, 401, 403, 404, 503) },
        },
      },
      async (request) => {
        const view = await readAuthorization(db, request.params.authorizationId);
        if (!view) throw new ProblemError('not-found', `no authorization ${request.params.authorizationId}`);
        return present(view);
      },
    );

    app.post<{ Params: { authorizationId: string }; Body: { by: string; why: string } }>(
      '/v1/authorizations/:authorizationId/override',
      {
        preValidation: requireScope(Scopes.authorizationsWrite),
        schema: {
          tags: ['authorizations'],
          operationId: 'overrideAuthorization',
          summary: 'Approve a declined authorization (insufficient funds, stand-in limit, unknown user) within a minute of the decline',
          description:
            'The processor decides the override in the account’s partition, in order with the account’s requests and state. 200 with the new decision (version 2); 409 `override-refused` when it refused (the account is not active, the window passed, the decline cannot be overridden, or it was overridden already); 202 with a Location to poll when the outcome did not come within the wait.',
          params: { type: 'object', properties: { authorizationId: { type: 'string', pattern: idPattern } } },
          body: overrideSchema,
          response: {
            200: authorizationSchema,
            202: authorizationSchema,
            ...problemResponses(400, 401, 403, 404, 409, 413, 415, 503),
          },
        },
      },
      async (request, reply) => {
        const { authorizationId } = request.params;
        const view = await readAuthorization(db, authorizationId);
        if (!view) throw new ProblemError('not-found', `no authorization ${authorizationId}`);
        const overrideId = ids.eventId();
        const payload: AuthorizationOverrideRequested = { overrideId, authorizationId, accountId: view.accountId, ...request.body };
        await db.transaction(async (tx) => {
          await tx.query(
            `insert into authorization_overrides (override_id, authorization_id, account_id, requested_by, reason, requested_at_ms)
             values ($1, $2, $3, $4, $5, $6)`,
            [overrideId, authorizationId, view.accountId, request.body.by, request.body.why, String(clock.nowMs())],
          );
          await publisher.publish(
            tx,
            [{ topic: AuthorizationTopics.overrideRequested, eventType: 'AuthorizationOverrideRequested', key: view.accountId, payload }],
            { correlationId: authorizationId },
          );
        });
        const outcome = await waitForOutcome(overrideId);
        const after = (await readAuthorization(db, authorizationId))!;
        if (outcome?.outcome === 'REFUSED')
          return sendProblem(reply, problemOf('override-refused', `the override of ${authorizationId} was refused: ${outcome.refusal}`));
        if (outcome?.outcome === 'APPROVED') return present(after);
        // The processor has not answered within the wait (it is behind, or down): the override
        // stands in the log and will be decided; the caller polls.
        return reply.code(202).header('location', selfOf(authorizationId)).send(present(after));
      },
    );

    async function waitForOutcome(overrideId: string): Promise<{ outcome: string; refusal: string | null } | undefined> {
      const deadlineMs = clock.nowMs() + options.overrideWaitMs;
      for (;;) {
        const found = await db.query<{ outcome: string | null; refusal: string | null }>(
          `select outcome, refusal from authorization_overrides where override_id = $1`,
          [overrideId],
        );
        const row = found.rows[0];
        if (row?.outcome) return { outcome: row.outcome, refusal: row.refusal };
        if (clock.nowMs() >= deadlineMs) return undefined;
        await clock.sleep(options.overridePollMs);
      }
    }
  };
}

function selfOf(authorizationId: string): string {
  return `/v1/authorizations/${encodeURIComponent(authorizationId)}`;
}

function present(view: AuthorizationView) {
  const latest = view.decisions.at(-1);
  return {
    authorizationId: view.authorizationId,
    accountId: view.accountId,
    status: latest ? latest.decision : 'PENDING',
    amount: view.amountMinor === null || view.currency === null ? null : formatDecimal(view.amountMinor, view.currency),
    currency: view.currency,
    decisions: view.decisions.map((decision) => ({ ...decision, decidedAt: new Date(decision.decidedAtMs).toISOString() })),
    overrides: view.overrides,
    links: { self: selfOf(view.authorizationId) },
  };
}
