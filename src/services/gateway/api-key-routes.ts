import type { FastifyInstance } from 'fastify';
import { ProblemError } from '../http/problem.ts';
import { problemResponses } from '../http/openapi.ts';
import { allScopes, Scopes, type RequireScope, type Scope } from '../http/scopes.ts';
import type { ApiKeys } from './api-keys.ts';

/** Longest label accepted: it names the key for operators, it is not a place for data. */
export const maxKeyLabelLength = 200;

const problems = problemResponses(400, 401, 403, 404, 503);

const keyViewSchema = {
  type: 'object',
  properties: {
    keyId: { type: 'string' },
    label: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string', enum: [...allScopes] } },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
    revokedBy: {
      type: ['string', 'null'],
      description: 'The key id of the caller that revoked it (`env`: PAYSTREAM_API_KEY; `cli`: the command line on the database)',
    },
    lastUsedAt: {
      type: ['string', 'null'],
      format: 'date-time',
      description: 'Precise to a few seconds (the verification cache), not to the request',
    },
  },
  required: ['keyId', 'label', 'scopes', 'createdAt', 'expiresAt', 'revokedAt', 'revokedBy', 'lastUsedAt'],
} as const;

const keyIdParams = { type: 'object', properties: { keyId: { type: 'string', pattern: '^[0-9a-f]{12}$' } }, required: ['keyId'] } as const;

interface CreateKeyBody {
  label: string;
  scopes: Scope[];
  expiresAt?: string;
}

/**
 * The API keys' management (scope `keys:admin`): `GET /v1/api-keys`, `POST /v1/api-keys` and
 * `POST /v1/api-keys/{keyId}/revoke`. Listing never shows a secret or its hash. A caller only
 * grants scopes it holds itself, so `keys:admin` alone cannot mint an `ops` or `payments:write`
 * key. A revocation is recorded with the caller's key id and refused everywhere within the
 * verification cache's time (see ApiKeys).
 */
export function apiKeyRoutes(options: { keys: ApiKeys; requireScope: RequireScope; nowMs: () => number }) {
  const { keys, requireScope, nowMs } = options;
  return async (app: FastifyInstance) => {
    app.get(
      '/v1/api-keys',
      {
        preValidation: requireScope(Scopes.keysAdmin),
        schema: {
          operationId: 'listApiKeys',
          tags: ['api-keys'],
          summary: 'Every API key, revoked and expired ones too (never a secret)',
          response: {
            200: { type: 'object', properties: { keys: { type: 'array', items: keyViewSchema } }, required: ['keys'] },
            ...problems,
          },
        },
      },
      async () => ({ keys: await keys.list() }),
    );

    app.post<{ Body: CreateKeyBody }>(
      '/v1/api-keys',
      {
        preValidation: requireScope(Scopes.keysAdmin),
        schema: {
          operationId: 'createApiKey',
          tags: ['api-keys'],
          summary: 'Create an API key; its secret is in this response only',
          body: {
            type: 'object',
            properties: {
              label: { type: 'string', minLength: 1, maxLength: maxKeyLabelLength, description: 'Who or what uses the key' },
              scopes: {
                type: 'array',
                minItems: 1,
                uniqueItems: true,
                items: { type: 'string', enum: [...allScopes] },
                description: 'Only scopes the calling key holds itself',
              },
              expiresAt: { type: 'string', format: 'date-time', description: 'When it stops being accepted; absent: never' },
            },
            required: ['label', 'scopes'],
            additionalProperties: false,
          },
          response: {
            201: {
              type: 'object',
              properties: { key: { type: 'string', description: 'psk_<keyId>_<secret>: shown this once' }, ...keyViewSchema.properties },
              required: ['key', ...keyViewSchema.required],
            },
            ...problems,
          },
        },
      },
      async (request, reply) => {
        const { label, scopes, expiresAt } = request.body;
        if (label.trim() === '') throw new ProblemError('invalid-field', 'label must name who or what uses the key', '/label');
        const caller = request.principal!;
        const beyond = scopes.filter((scope) => !caller.scopes.has(scope));
        if (beyond.length > 0)
          throw new ProblemError('missing-scope', `a key can only grant scopes it holds itself; this key lacks ${beyond.join(', ')}`);
        const expiresAtMs = expiresAt === undefined ? undefined : Date.parse(expiresAt);
        if (expiresAtMs !== undefined && !(expiresAtMs > nowMs()))
          throw new ProblemError('invalid-field', 'expiresAt must be in the future', '/expiresAt');
        const created = await keys.create(label.trim(), scopes, { expiresAtMs });
        request.log.info({ keyId: created.keyId, scopes, createdBy: caller.keyId }, 'API key created');
        return reply.code(201).send({ key: created.key, ...created.view });
      },
    );

    app.post<{ Params: { keyId: string } }>(
      '/v1/api-keys/:keyId/revoke',
      {
        preValidation: requireScope(Scopes.keysAdmin),
        schema: {
          operationId: 'revokeApiKey',
          tags: ['api-keys'],
          summary: 'Revoke an API key: refused by every process within seconds; revoking twice keeps the first revocation',
          params: keyIdParams,
          response: { 200: keyViewSchema, ...problems },
        },
      },
      async (request) => {
        const caller = request.principal!;
        const revoked = await keys.revoke(request.params.keyId, caller.keyId);
        if (!revoked) throw new ProblemError('not-found', `there is no API key ${request.params.keyId}`);
        request.log.info({ keyId: revoked.keyId, revokedBy: revoked.revokedBy }, 'API key revoked');
        return revoked;
      },
    );
  };
}
