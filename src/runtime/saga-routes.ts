import type { FastifyInstance } from 'fastify';
import type { SqlRunner } from '../backbone/storage/database.ts';
import { readSagaInstance } from '../backbone/saga/index.ts';
import { ProblemError } from '../services/http/problem.ts';
import { problemResponses } from '../services/http/openapi.ts';
import { Scopes, type RequireScope } from '../services/http/scopes.ts';

const problems = problemResponses(400, 401, 403, 404);

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

const sagaSchema = {
  type: 'object',
  properties: {
    sagaId: { type: 'string' },
    sagaType: { type: 'string' },
    status: { type: 'string', enum: ['RUNNING', 'COMPENSATING', 'COMPLETED', 'COMPENSATED', 'STUCK'] },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    steps: { type: 'array', items: activitySchema },
    compensations: { type: 'array', items: activitySchema, description: 'In the order they ran: the last completed step first' },
  },
  required: ['sagaId', 'sagaType', 'status', 'createdAt', 'updatedAt', 'steps', 'compensations'],
} as const;

/** `GET /v1/sagas/{sagaId}`, for operators (scope `ops`): a saga instance with every step and compensation. */
export function sagaRoutes(options: { db: Pick<SqlRunner, 'query'>; requireScope: RequireScope }) {
  const { db, requireScope } = options;
  return async (app: FastifyInstance) => {
    app.get<{ Params: { sagaId: string } }>(
      '/v1/sagas/:sagaId',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          operationId: 'getSaga',
          tags: ['operations'],
          summary: 'A saga instance: its type, status, and every step and compensation with times and outcome',
          params: {
            type: 'object',
            properties: { sagaId: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$', description: "The saga's id" } },
            required: ['sagaId'],
            additionalProperties: false,
          },
          response: { 200: sagaSchema, ...problems },
        },
      },
      async (request) => {
        const instance = await readSagaInstance(db, request.params.sagaId);
        if (!instance) throw new ProblemError('not-found', `no saga ${request.params.sagaId}`);
        return instance;
      },
    );
  };
}
