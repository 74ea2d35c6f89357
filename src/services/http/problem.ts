import type { FastifyReply } from 'fastify';

/**
 * RFC 9457 problem details, the body of every error the API returns. `code` is stable (clients
 * branch on it); `title` is its human name; `detail` says what was wrong with this request.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ProblemCode;
  detail: string;
  /** For request validation: the JSON pointer of the offending field. */
  pointer?: string;
}

/** The closed list of problem codes, with their HTTP status and title. */
export const problemCatalog = {
  'malformed-json': { status: 400, title: 'The body is not valid JSON' },
  'unsupported-media-type': { status: 415, title: 'The body must be application/json' },
  'invalid-field': { status: 400, title: 'A field has the wrong type or format' },
  'missing-field': { status: 400, title: 'A required field is missing' },
  'unknown-field': { status: 400, title: 'The body has a field this API does not know' },
  'unknown-currency': { status: 422, title: 'Unknown or inactive ISO 4217 currency' },
  'too-many-decimals': { status: 422, title: 'The amount has more decimals than the currency allows' },
  'invalid-amount': { status: 422, title: 'The amount must be a decimal number greater than zero' },
  'invalid-iban': { status: 422, title: 'The IBAN is not valid' },
  'invalid-bic': { status: 422, title: 'The BIC is not valid' },
  'invalid-account': { status: 422, title: 'The account identifier is not valid' },
  'invalid-country': { status: 422, title: 'The country is not an ISO 3166-1 alpha-2 code' },
  'unknown-debtor-account': { status: 422, title: 'The debtor account is not an account of this bank' },
  'unknown-applicant-account': { status: 422, title: 'The applicant account is not an open account of this bank' },
  'currency-mismatch': { status: 422, title: 'The currency differs from the account currency' },
  'idempotency-key-missing': { status: 400, title: 'The Idempotency-Key header is required' },
  'idempotency-key-invalid': { status: 400, title: 'The Idempotency-Key header is malformed' },
  'idempotency-key-reused': { status: 422, title: 'The Idempotency-Key was used with a different request' },
  'body-too-large': { status: 413, title: 'The body is too large' },
  'malformed-request': { status: 400, title: 'The request is not valid HTTP' },
  'malformed-url': { status: 400, title: 'The URL is not valid' },
  'uri-too-long': { status: 414, title: 'A path segment is too long' },
  'headers-too-large': { status: 431, title: 'The request line and headers are too large' },
  'request-timeout': { status: 408, title: 'The request was not received in time' },
  'method-not-allowed': { status: 405, title: 'The resource does not take this method' },
  unauthenticated: { status: 401, title: 'Missing or invalid credentials' },
  'missing-scope': { status: 403, title: 'The API key lacks the scope this call needs' },
  'not-found': { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict with the current state' },
  'override-refused': { status: 409, title: 'The override was refused; the decline stands' },
  'case-withdrawn': { status: 409, title: 'The case was withdrawn: its subject ended before a decision' },
  'service-unavailable': { status: 503, title: 'Temporarily unavailable; retry later' },
  'internal-error': { status: 500, title: 'Internal error' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof problemCatalog;

const typeBase = 'https://paystream.dev/problems/';

export class ProblemError extends Error {
  readonly problem: Problem;
  constructor(code: ProblemCode, detail: string, pointer?: string) {
    super(detail);
    this.name = 'ProblemError';
    this.problem = problemOf(code, detail, pointer);
  }
}

export function problemOf(code: ProblemCode, detail: string, pointer?: string): Problem {
  const { status, title } = problemCatalog[code];
  return { type: `${typeBase}${code}`, title, status, code, detail, ...(pointer === undefined ? {} : { pointer }) };
}

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/** The OpenAPI schema of a problem body, for route declarations. */
export const problemSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string', enum: Object.keys(problemCatalog) },
    detail: { type: 'string' },
    pointer: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'code', 'detail'],
} as const;
