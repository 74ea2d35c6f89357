import type { FastifyInstance } from 'fastify';
import type { DeadLetterFilter, DeadLetterReplay } from '../backbone/dead-letter/dead-letter-replay.ts';
import { ProblemError } from '../services/http/problem.ts';
import { problemResponses } from '../services/http/openapi.ts';
import { Scopes, type RequireScope } from '../services/http/scopes.ts';

const problems = problemResponses(400, 401, 403, 404, 503);

const letterSchema = {
  type: 'object',
  properties: {
    partition: { type: 'integer' },
    offset: { type: 'string', description: 'The offset in the dead-letter topic (a 64-bit integer, as a string)' },
    key: { type: 'string' },
    eventId: { type: ['string', 'null'] },
    eventType: { type: ['string', 'null'] },
    errorCode: { type: 'string' },
    reason: { type: 'string' },
    failedAt: { type: 'string' },
    attempts: { type: 'integer' },
    consumer: { type: 'string' },
    originalTopic: { type: 'string' },
    originalPartition: { type: 'integer' },
    originalOffset: { type: 'string' },
    replayedBy: { type: ['string', 'null'], description: 'The replay that already sent it back, if any' },
  },
} as const;

const filterProperties = {
  topic: { type: 'string', minLength: 1, maxLength: 249, description: 'The topic the letters were consumed from' },
  consumer: { type: 'string', minLength: 1, maxLength: 249, description: 'The consumer that dead-lettered them' },
  key: { type: 'string', maxLength: 1024, description: 'Only the letters of this message key' },
  code: { type: 'string', maxLength: 100, description: 'Only this error code' },
  from: { type: 'string', format: 'date-time', description: 'Failed at or after this instant' },
  to: { type: 'string', format: 'date-time', description: 'Failed before this instant' },
} as const;

interface FilterInput {
  topic: string;
  consumer: string;
  key?: string;
  code?: string;
  from?: string;
  to?: string;
  includeReplayed?: boolean | string;
}

/**
 * The dead letters, for operators (scope `ops`): `GET /v1/dead-letters` lists those of one
 * consumer on one topic, `POST /v1/dead-letters/replays` sends them back to that consumer, recorded
 * with the operator, the reason and the calling key. What `paystream dlq list|replay` calls.
 */
export function deadLetterRoutes(options: { deadLetters: DeadLetterReplay; requireScope: RequireScope }) {
  const { deadLetters, requireScope } = options;
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: FilterInput }>(
      '/v1/dead-letters',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          operationId: 'listDeadLetters',
          tags: ['operations'],
          summary: 'The dead letters of one consumer on one topic',
          querystring: {
            type: 'object',
            properties: { ...filterProperties, includeReplayed: { type: 'string', enum: ['true', 'false'], description: 'Also the letters already replayed (default false)' } },
            required: ['topic', 'consumer'],
            additionalProperties: false,
          },
          response: { 200: { type: 'object', properties: { deadLetters: { type: 'array', items: letterSchema } }, required: ['deadLetters'] }, ...problems },
        },
      },
      async (request) => ({ deadLetters: (await readLetters(() => deadLetters.list(filterOf(request.query)), request.query.topic)).map(asJson) }),
    );

    app.post<{ Body: FilterInput & { operator: string; reason: string; dryRun?: boolean } }>(
      '/v1/dead-letters/replays',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          operationId: 'replayDeadLetters',
          tags: ['operations'],
          summary: 'Replay dead letters to the consumer that dead-lettered them, recorded with who and why',
          body: {
            type: 'object',
            properties: {
              ...filterProperties,
              includeReplayed: { type: 'boolean' },
              operator: { type: 'string', minLength: 1, maxLength: 200, description: 'Who replays (recorded with the calling key id)' },
              reason: { type: 'string', minLength: 1, maxLength: 1000, description: 'Why (recorded)' },
              dryRun: { type: 'boolean', description: 'Show what would be replayed, replay nothing' },
            },
            required: ['topic', 'consumer', 'operator', 'reason'],
            additionalProperties: false,
          },
          response: {
            200: { type: 'object', properties: { replayId: { type: ['string', 'null'] }, dryRun: { type: 'boolean' }, letters: { type: 'array', items: letterSchema } }, required: ['replayId', 'dryRun', 'letters'] },
            ...problems,
          },
        },
      },
      async (request) => {
        const { operator, reason, dryRun } = request.body;
        if (operator.trim() === '' || reason.trim() === '') throw new ProblemError('invalid-field', 'a replay needs an operator and a reason', operator.trim() === '' ? '/operator' : '/reason');
        const result = await readLetters(
          () => deadLetters.replay({ filter: filterOf(request.body), operator: `${operator.trim()} (API key ${request.principal!.keyId})`, reason: reason.trim(), dryRun: dryRun === true }),
          request.body.topic,
        );
        return { replayId: result.replayId ?? null, dryRun: result.dryRun, letters: result.letters.map(asJson) };
      },
    );
  };
}

function filterOf(input: FilterInput): DeadLetterFilter {
  return {
    topic: input.topic,
    consumer: input.consumer,
    ...(input.key !== undefined && { key: input.key }),
    ...(input.code !== undefined && { errorCode: input.code }),
    ...(input.from !== undefined && { failedFromMs: Date.parse(input.from) }),
    ...(input.to !== undefined && { failedBeforeMs: Date.parse(input.to) }),
    includeReplayed: input.includeReplayed === true || input.includeReplayed === 'true',
  };
}

/** A topic without a dead-letter topic is a 404 naming it, not a 500. */
async function readLetters<T>(read: () => Promise<T>, topic: string): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const text = error instanceof Error ? `${error.message} ${String((error as { cause?: unknown }).cause ?? '')}` : String(error);
    if (/does not exist|UNKNOWN_TOPIC|unknown topic/i.test(text)) throw new ProblemError('not-found', `${topic} has no dead-letter topic`);
    throw error;
  }
}

/** Offsets are 64-bit: strings in JSON. */
function asJson<T extends object>(letter: T): Record<string, unknown> {
  return Object.fromEntries(Object.entries(letter).map(([name, value]) => [name, typeof value === 'bigint' ? value.toString() : (value ?? null)]));
}
