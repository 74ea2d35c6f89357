import type { FastifyInstance } from 'fastify';
import { Scopes, type RequireScope } from '../../http/scopes.ts';
import type { ScreeningLists } from './lists.ts';

/**
 * `GET /v1/screening/lists` (scope `ops`): whether screening can run, and which version of each
 * list is in force, with the last refused reload. What an operator checks when payments wait in
 * screening; readiness for a deployment that must not take traffic before the lists are loaded.
 */
export function screeningRoutes(options: { lists: ScreeningLists; requireScope: RequireScope }) {
  const { lists, requireScope } = options;
  return async (app: FastifyInstance) => {
    app.get('/v1/screening/lists', { preValidation: requireScope(Scopes.ops), schema: { tags: ['compliance'], summary: 'The sanctions lists in force, and whether screening can run' } }, async () => ({
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
