import type { FastifyInstance } from 'fastify';
import type { Database } from '../backbone/storage/database.ts';
import { listSagaInstances, readSagaInstance, retryStuckSaga } from '../backbone/saga/index.ts';
import {
  cursorParameter,
  decodeCursor,
  encodeCursor,
  limitParameter,
  nextCursorSchema,
  pageOf,
  parseLimit,
} from '../services/http/pagination.ts';
import { ProblemError } from '../services/http/problem.ts';
import { operatorActionBody, operatorActionOf, type OperatorActionBody } from '../services/http/operator-action.ts';
import { problemResponses } from '../services/http/openapi.ts';
import { Scopes, type RequireScope } from '../services/http/scopes.ts';

const problems = problemResponses(400, 401, 403, 404);
const retryProblems = problemResponses(400, 401, 403, 404, 409);

const sagaStatuses = ['RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'STUCK'] as const;

const activitySchema = {
  type: 'object',
  properties: {
    step: { type: 'integer', description: "The step's index in the saga's definition" },
    name: { type: 'string' },
    attempts: { type: 'integer', description: 'Sends so far; a re-send after a timeout or a failed compensation counts' },
    firstSentAt: { type: 'string', format: 'date-time' },
    endedAt: { type: ['string', 'null'], format: 'date-time', description: 'When it succeeded or failed for good; null while it waits' },
    outcome: { type: 'string', enum: ['PENDING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'STUCK'] },
    reason: { type: ['string', 'null'], description: "The participant's refusal, or why the orchestrator gave up" },
  },
  required: ['step', 'name', 'attempts', 'firstSentAt', 'endedAt', 'outcome', 'reason'],
} as const;

const summarySchema = {
  type: 'object',
  properties: {
    sagaId: { type: 'string' },
    sagaType: { type: 'string' },
    status: { type: 'string', enum: sagaStatuses },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
  required: ['sagaId', 'sagaType', 'status', 'createdAt', 'updatedAt'],
} as const;

/** An instance whole: its summary with every step and compensation. */
const sagaSchema = {
  type: 'object',
  properties: {
    ...summarySchema.properties,
    steps: { type: 'array', items: activitySchema },
    compensations: { type: 'array', items: activitySchema, description: 'In the order they ran: the last completed step first' },
  },
  required: [...summarySchema.required, 'steps', 'compensations'],
} as const;

const listLimits = { max: 500, default: 50 };
const isoInstant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const sagaIdParams = {
  type: 'object',
  properties: { sagaId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$', description: "The saga's id" } },
  required: ['sagaId'],
  additionalProperties: false,
} as const;

/**
 * For operators (scope `ops`): `GET /v1/sagas`, the instances by status and type, the longest
 * unchanged first (`?status=STUCK` is the list the STUCK alert points to); `GET /v1/sagas/{sagaId}`, a saga instance with every step and
 * compensation; `POST /v1/sagas/{sagaId}/retries`, which sends a STUCK instance's failing
 * compensation again once its cause is fixed, recorded in its history with who and why.
 */
export function sagaRoutes(options: { db: Database; requireScope: RequireScope; nowMs: () => number }) {
  const { db, requireScope, nowMs } = options;
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { status?: string; sagaType?: string; limit?: string; cursor?: string } }>(
      '/v1/sagas',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          operationId: 'listSagas',
          tags: ['operations'],
          summary: 'Saga instances by status and type, the longest unchanged first',
          querystring: {
            type: 'object',
            properties: {
              status: { type: 'string', enum: sagaStatuses, description: 'Only instances in this status' },
              sagaType: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,100}$', description: 'Only instances of this saga type' },
              limit: limitParameter(listLimits),
              cursor: cursorParameter,
            },
            additionalProperties: false,
          },
          response: {
            200: {
              type: 'object',
              properties: { sagas: { type: 'array', items: summarySchema }, nextCursor: nextCursorSchema },
              required: ['sagas', 'nextCursor'],
            },
            ...problems,
          },
        },
      },
      async (request) => {
        const { status, sagaType, cursor } = request.query;
        const limit = parseLimit(request.query.limit, listLimits);
        const after = cursor === undefined ? undefined : decodeCursor(cursor, 2, /^[A-Za-z0-9._:-]{1,128}$/);
        if (after && !isoInstant.test(after[0]!))
          throw new ProblemError('invalid-field', 'cursor is not a cursor this list gave out', 'cursor');
        const rows = await listSagaInstances(db, {
          limit,
          ...(status === undefined ? {} : { status }),
          ...(sagaType === undefined ? {} : { sagaType }),
          ...(after === undefined ? {} : { after: [after[0]!, after[1]!] as const }),
        });
        const page = pageOf(rows, limit, (row) => encodeCursor([row.updatedAt, row.sagaId]));
        return { sagas: page.items, nextCursor: page.nextCursor };
      },
    );

    app.get<{ Params: { sagaId: string } }>(
      '/v1/sagas/:sagaId',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          operationId: 'getSaga',
          tags: ['operations'],
          summary: 'A saga instance: its type, status, and every step and compensation with times and outcome',
          params: sagaIdParams,
          response: { 200: sagaSchema, ...problems },
        },
      },
      async (request) => {
        const instance = await readSagaInstance(db, request.params.sagaId);
        if (!instance) throw new ProblemError('not-found', `no saga ${request.params.sagaId}`);
        return instance;
      },
    );

    app.post<{ Params: { sagaId: string }; Body: OperatorActionBody }>(
      '/v1/sagas/:sagaId/retries',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          operationId: 'retrySagaCompensation',
          tags: ['operations'],
          summary: "Send a STUCK saga's failing compensation again, once its cause is fixed; the saga goes on compensating from there",
          params: sagaIdParams,
          body: operatorActionBody,
          response: { 202: sagaSchema, ...retryProblems },
        },
      },
      async (request, reply) => {
        const { sagaId } = request.params;
        const result = await retryStuckSaga(db, sagaId, { ...operatorActionOf(request.body, request.principal!.keyId), nowMs: nowMs() });
        if (result === 'not-found') throw new ProblemError('not-found', `no saga ${sagaId}`);
        if (result === 'not-stuck') throw new ProblemError('conflict', `saga ${sagaId} is not STUCK: only a STUCK saga is retried`);
        return reply.code(202).send(await readSagaInstance(db, sagaId));
      },
    );
  };
}
