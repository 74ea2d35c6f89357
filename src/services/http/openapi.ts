import { problemCatalog, problemSchema } from './problem.ts';

/**
 * The conventions every route's schema follows, so that `/openapi.json` passes `redocly lint`
 * (recommended rules; `test/e2e/openapi.e2e.spec.ts`):
 *
 *   schema: {
 *     operationId: 'listWidgets', tags: ['widgets'], summary: 'One line',
 *     querystring: …, params: …,
 *     response: { 200: widgetsSchema, ...problemResponses(400, 401, 403) },
 *   }
 *
 * Every `/v1` route is bearer-authenticated: that is the document's default security, so a route
 * declares `security` only when it differs (`publicRoute`, `schemaRegistrySecurity`).
 *
 * Response schemas are also how Fastify serializes: a field the schema does not declare is
 * dropped from the response, so declare every field the handler returns (`additionalProperties:
 * true` for a free-form object).
 */

/** The name of the API-key scheme in `components.securitySchemes` (`Authorization: Bearer psk_…`). */
export const bearerSchemeName = 'apiKey';
/** The name of the schema registry's scheme (HTTP basic, the way Confluent clients authenticate). */
export const schemaRegistrySchemeName = 'schemaRegistryBasic';
/** The name of the RTGS network's scheme on its pacs.002 callback (a shared token in a header). */
export const rtgsCallbackSchemeName = 'rtgsCallbackToken';

export const securitySchemes = {
  [bearerSchemeName]: { type: 'http', scheme: 'bearer', description: 'An API key, `psk_<id>_<secret>`' },
  [schemaRegistrySchemeName]: {
    type: 'http',
    scheme: 'basic',
    description: 'An API key as the password (Confluent clients send basic auth); scopes `schemas:read`, `schemas:write`',
  },
  [rtgsCallbackSchemeName]: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Rtgs-Callback-Token',
    description: 'The token shared with the RTGS network (RTGS_CALLBACK_TOKEN)',
  },
} as const;

/** The document's default: every route is called with an API key unless it says otherwise. */
export const bearerSecurity = [{ [bearerSchemeName]: [] }];
/** For `security:` on the routes that need no credentials (health, metrics). */
export const publicRoute: readonly never[] = [];
/** For `security:` on the schema registry's Confluent API. */
export const schemaRegistrySecurity = [{ [schemaRegistrySchemeName]: [] }];
/** For `security:` on the RTGS network's callback. */
export const rtgsCallbackSecurity = [{ [rtgsCallbackSchemeName]: [] }];

/** The media type of every problem body (RFC 9457). */
export const problemMediaType = 'application/problem+json';

type ProblemStatus = (typeof problemCatalog)[keyof typeof problemCatalog]['status'];

const problemDescriptions: Record<ProblemStatus, string> = {
  400: 'The request is malformed; `code` says how and `pointer` names the field',
  401: 'Missing or invalid API key',
  403: 'The API key lacks the scope this call needs',
  404: 'Not found',
  405: 'The path does not take this method; `Allow` lists those it takes',
  408: 'The request was not received in time',
  409: 'Conflict with the current state',
  413: 'The body is too large',
  414: 'A path segment is too long',
  415: 'The body must be application/json',
  422: 'The request is well formed but refused; `code` says why',
  431: 'The request line and headers are too large',
  500: 'Internal error; nothing was accepted',
  503: 'A dependency is unavailable; retry later',
};

/**
 * The problem+json responses of a route, one per status it can answer with. The problem schema is
 * declared once (`problemSchema`) and inlined in each, which Fastify also serializes with.
 */
export function problemResponses(
  ...statuses: ProblemStatus[]
): Record<number, { description: string; content: { [problemMediaType]: { schema: typeof problemSchema } } }> {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: problemDescriptions[status], content: { [problemMediaType]: { schema: problemSchema } } },
    ]),
  );
}

/**
 * For a route whose handler checks its own input and answers a problem that names the field and
 * says what it must be (`attachValidation: true` with this comment): the schema documents the input
 * and the handler stays the one judge of it, so the two must agree.
 */
export const handlerValidates = { attachValidation: true } as const;
