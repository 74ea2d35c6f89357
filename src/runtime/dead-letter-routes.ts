import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
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
 * with the operator, the reason and the calling key, and `POST /v1/dead-letters/acknowledgements`
 * marks a dead-letter topic's letters so far as reviewed (`paystream_dlq_depth` drops to 0, so
 * `PaystreamDeadLettersWaiting` resolves), logged with who and why. What `paystream dlq
 * list|replay|ack` calls.
 */
export function deadLetterRoutes(options: { deadLetters: DeadLetterReplay; requireScope: RequireScope; logger: Logger }) {
  const { deadLetters, requireScope, logger } = options;
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

    app.post<{ Body: { topic: string; operator: string; reason: string } }>(
      '/v1/dead-letters/acknowledgements',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          operationId: 'acknowledgeDeadLetters',
          tags: ['operations'],
          summary: "Mark a topic's dead letters so far as reviewed: the dead-letter depth drops to 0 and its alert resolves",
          description: 'The letters stay in the dead-letter topic (list and replay still find them); only the review position moves to its end.',
          body: {
            type: 'object',
            properties: {
              topic: filterProperties.topic,
              operator: { type: 'string', minLength: 1, maxLength: 200, description: 'Who reviewed them (logged with the calling key id)' },
              reason: { type: 'string', minLength: 1, maxLength: 1000, description: 'Why (logged)' },
            },
            required: ['topic', 'operator', 'reason'],
            additionalProperties: false,
          },
          response: { 200: { type: 'object', properties: { topic: { type: 'string' }, acknowledged: { type: 'integer', description: 'Letters newly marked as reviewed' } }, required: ['topic', 'acknowledged'] }, ...problems },
        },
      },
      async (request) => {
        const { topic, operator, reason } = request.body;
        if (operator.trim() === '' || reason.trim() === '') throw new ProblemError('invalid-field', 'an acknowledgement needs an operator and a reason', operator.trim() === '' ? '/operator' : '/reason');
        const acknowledged = await readLetters(() => deadLetters.acknowledge(topic), topic);
        logger.info({ topic, acknowledged, operator: operator.trim(), reason: reason.trim(), keyId: request.principal!.keyId }, 'dead letters acknowledged');
        return { topic, acknowledged };
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
