import type { FastifyInstance, FastifyRequest } from 'fastify';
import { problemOf, sendProblem } from '../http/problem.ts';
import { Scopes, type Principal, type RequireScope } from '../http/scopes.ts';
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
      return sendProblem(
        reply,
        problemOf('unauthenticated', header === undefined ? 'the Authorization header is missing' : 'the API key is not valid'),
      );
    }
    request.principal = principal;
  });
}

export const requireScope: RequireScope = (scope) => async (request: FastifyRequest, reply) => {
  if (!request.principal) return sendProblem(reply, problemOf('unauthenticated', 'the Authorization header is missing'));
  if (!request.principal.scopes.has(scope)) return sendProblem(reply, problemOf('missing-scope', `this call needs the scope ${scope}`));
};

/**
 * Who may use the built-in schema registry's Confluent API: reads need `schemas:read`, writes
 * `schemas:write`. Confluent clients send HTTP basic auth, so the API key is accepted as the
 * basic-auth password (the username is ignored), as well as `Authorization: Bearer <key>`.
 * The result is the built-in registry's `RegistryAuthorizer` (an adapter, so named here by shape).
 */
export function schemaRegistryAuthorizer(keys: ApiKeys) {
  return async (request: FastifyRequest, access: 'read' | 'write'): Promise<{ status: 401 | 403; message: string } | undefined> => {
    const header = request.headers.authorization;
    const presented = presentedKey(header);
    const principal = presented === undefined ? undefined : await keys.verify(presented);
    if (!principal)
      return { status: 401, message: header === undefined ? 'the Authorization header is missing' : 'the API key is not valid' };
    const scope = access === 'read' ? Scopes.schemasRead : Scopes.schemasWrite;
    if (!principal.scopes.has(scope)) return { status: 403, message: `this call needs the scope ${scope}` };
    return undefined;
  };
}

/** The API key in `Bearer <key>` or in `Basic base64(<any username>:<key>)`. */
function presentedKey(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const bearer = /^Bearer ([\x21-\x7e]{1,512})$/.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic ([A-Za-z0-9+/]{1,1024}={0,2})$/i.exec(header);
  if (!basic) return undefined;
  const credentials = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = credentials.indexOf(':');
  return colon < 0 ? undefined : credentials.slice(colon + 1);
}
