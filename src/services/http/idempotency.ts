import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { idempotencyKeyProblems } from './error-handler.ts';
import { ProblemError } from './problem.ts';

/**
 * The Idempotency-Key of the API's POST routes that create something once (a payment, a loan
 * application, an order): the header's schema, the key, the request's digest and the 202 answer,
 * in one place so every such route answers a retry and a reused key alike. The key is kept per API
 * key with the digest of the request it came with: the same key with the same body answers the
 * same resource again (`Idempotent-Replayed: true`), with another body 422 `idempotency-key-reused`.
 */

/** The Idempotency-Key's form; a key outside it is refused as `idempotency-key-invalid`. */
export const idempotencyKeyPattern = '^[\\x21-\\x7e]{1,255}$';

/**
 * The `headers` schema of a route that requires an Idempotency-Key, `what` naming the thing made
 * once ("payment"); a missing or malformed key is answered by `idempotencyKeyProblems`, not as a
 * plain field error. `extra`: the route's other headers.
 */
export function idempotencyKeyHeaders(what: string, extra: Record<string, { type: 'string'; description: string }> = {}) {
  return {
    type: 'object',
    required: ['idempotency-key'],
    properties: {
      'idempotency-key': {
        type: 'string',
        pattern: idempotencyKeyPattern,
        description: `1 to 255 printable ASCII characters, unique per ${what} you mean to make once.`,
      },
      ...extra,
    },
  } as const;
}

/** The request's Idempotency-Key. The route's header schema refused a missing or malformed one already; this narrows the type. */
export function idempotencyKeyOf(request: FastifyRequest): string {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') throw new ProblemError('idempotency-key-missing', idempotencyKeyProblems.missing().detail);
  return key;
}

/**
 * A digest of the request as the client meant it (keys sorted, so the same JSON in another order
 * is the same request), to tell a retry of a request from a different request reusing its key.
 */
export function requestDigest(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** 202 Accepted with the resource's `Location`, marked `Idempotent-Replayed: true` when the key answered an earlier request. */
export function sendAccepted(reply: FastifyReply, accepted: { location: string; replayed: boolean }, body: object): FastifyReply {
  if (accepted.replayed) reply.header('idempotent-replayed', 'true');
  return reply.code(202).header('location', accepted.location).send(body);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}
