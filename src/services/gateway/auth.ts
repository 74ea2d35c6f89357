import type { FastifyInstance, FastifyRequest } from 'fastify';
import { problemOf, sendProblem } from '../http/problem.ts';
import type { Principal, RequireScope } from '../http/scopes.ts';
import type { ApiKeys } from './api-keys.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/**
 * Authentication for every `/v1` route: `Authorization: Bearer <key>`, verified against the
 * hashed keys. Routes then guard themselves with `requireScope(scope)`.
 */
export function installApiKeyAuth(app: FastifyInstance, keys: ApiKeys): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/')) return;
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
    const principal = match ? await keys.verify(match[1]!) : undefined;
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="paystream"');
      return sendProblem(reply, problemOf('unauthenticated', header === undefined ? 'the Authorization header is missing' : 'the API key is not valid'));
    }
    request.principal = principal;
  });
}

export const requireScope: RequireScope = (scope) => async (request: FastifyRequest, reply) => {
  if (!request.principal) return sendProblem(reply, problemOf('unauthenticated', 'the Authorization header is missing'));
  if (!request.principal.scopes.has(scope)) return sendProblem(reply, problemOf('missing-scope', `this call needs the scope ${scope}`));
};
