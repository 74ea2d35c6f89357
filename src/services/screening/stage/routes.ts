import type { FastifyInstance } from 'fastify';
import { Scopes, type RequireScope } from '../../http/scopes.ts';
import { problemResponses } from '../../http/openapi.ts';
import type { ScreeningLists } from './lists.ts';

/**
 * `GET /v1/screening/lists` (scope `ops`): whether screening can run, and which version of each
 * list is in force, with the last refused reload. What an operator checks when payments wait in
 * screening; readiness for a deployment that must not take traffic before the lists are loaded.
 */
export function screeningRoutes(options: { lists: ScreeningLists; requireScope: RequireScope }) {
  const { lists, requireScope } = options;
  return async (app: FastifyInstance) => {
    const schema = {
      operationId: 'getScreeningLists',
      tags: ['compliance'],
      summary: 'The sanctions lists in force, and whether screening can run',
      response: { 200: listsSchema, ...problemResponses(401, 403) },
    };
    app.get('/v1/screening/lists', { preValidation: requireScope(Scopes.ops), schema }, async () => ({
      ready: lists.ready,
      lists: lists.status().map((status) => ({
        listId: status.listId,
        loaded: status.version !== undefined,
        sha256: status.version?.sha256 ?? null,
        publishedAt: status.version?.publishedAt ?? null,
        entryCount: status.version?.entryCount ?? null,
        files: status.version?.files ?? [],
        lastError: status.lastError ? { code: status.lastError.code, message: status.lastError.message } : null,
      })),
    }));
  };
}

const listsSchema = {
  type: 'object',
  required: ['ready', 'lists'],
  properties: {
    ready: { type: 'boolean', description: 'Whether every list is loaded, so payments can be screened' },
    lists: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          listId: { type: 'string' },
          loaded: { type: 'boolean' },
          sha256: { type: ['string', 'null'], description: 'Of the version in force' },
          publishedAt: { type: ['string', 'null'], description: 'As the list publisher dated it' },
          entryCount: { type: ['integer', 'null'] },
          files: { type: 'array', items: { type: 'string' } },
          lastError: {
            type: ['object', 'null'],
            description: 'The last refused reload',
            properties: { code: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
} as const;
