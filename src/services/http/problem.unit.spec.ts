import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { ProblemError, problemCatalog, problemOf, problemSchema, sendProblem, type ProblemCode } from './problem.ts';

// The closed list of problem codes: clients branch on `code` and on the status, so each is written
// down here. A code added to (or removed from) the catalog fails this spec until it is listed here
// with its status, on purpose: it is a change to the API's contract.
const statusByCode: Record<ProblemCode, number> = {
  'malformed-json': 400,
  'unsupported-media-type': 415,
  'invalid-field': 400,
  'missing-field': 400,
  'unknown-field': 400,
  'unknown-currency': 422,
  'too-many-decimals': 422,
  'invalid-amount': 422,
  'invalid-iban': 422,
  'invalid-bic': 422,
  'invalid-account': 422,
  'invalid-country': 422,
  'unknown-debtor-account': 422,
  'unknown-applicant-account': 422,
  'currency-mismatch': 422,
  'idempotency-key-missing': 400,
  'idempotency-key-invalid': 400,
  'idempotency-key-reused': 422,
  'body-too-large': 413,
  'malformed-request': 400,
  'malformed-url': 400,
  'uri-too-long': 414,
  'headers-too-large': 431,
  'request-timeout': 408,
  'method-not-allowed': 405,
  unauthenticated: 401,
  'missing-scope': 403,
  'not-found': 404,
  conflict: 409,
  'override-refused': 409,
  'case-withdrawn': 409,
  'service-unavailable': 503,
  'internal-error': 500,
};
const codes = Object.keys(problemCatalog) as ProblemCode[];

describe('the problem catalog', () => {
  it('is the closed list of codes, each with its status', () => {
    expect(codes.toSorted(), 'the catalog differs from the list of this spec: a new code needs its status written here').toEqual(
      Object.keys(statusByCode).toSorted(),
    );
    expect(Object.fromEntries(codes.map((code) => [code, problemCatalog[code].status]))).toEqual(statusByCode);
  });

  it.each(codes)('%s: an RFC 9457 problem with its own type URI, status, title and the detail given', (code) => {
    expect(problemOf(code, 'what was wrong')).toEqual({
      type: `https://paystream.dev/problems/${code}`,
      title: problemCatalog[code].title,
      status: statusByCode[code],
      code,
      detail: 'what was wrong',
    });
    expect(problemCatalog[code].title).toMatch(/^[A-Z].{5,}[^.]$/);
  });

  it('keeps client errors 4xx and our own failures 5xx', () => {
    const serverSide = codes.filter((code) => problemCatalog[code].status >= 500);
    expect(serverSide.toSorted()).toEqual(['internal-error', 'service-unavailable']);
  });

  it('names the offending field with a JSON pointer only when there is one', () => {
    expect(problemOf('missing-field', 'missing field /amount', '/amount')).toMatchObject({ pointer: '/amount' });
    expect(problemOf('not-found', 'no payment p-1')).not.toHaveProperty('pointer');
  });

  it('declares every code in the schema of a problem body, and the fields every body has', () => {
    expect(problemSchema.properties.code.enum).toEqual(codes);
    expect(problemSchema.required).toEqual(['type', 'title', 'status', 'code', 'detail']);
  });

  it('ProblemError carries the problem, its detail as its message', () => {
    const error = new ProblemError('conflict', 'the case was already approved');
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe('the case was already approved');
    expect(error.problem).toEqual(problemOf('conflict', 'the case was already approved'));
  });
});

describe('sendProblem', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    app = Fastify();
    app.get<{ Params: { code: ProblemCode } }>('/problems/:code', (request, reply) =>
      sendProblem(reply, problemOf(request.params.code, `a ${request.params.code}`, '/field')),
    );
    await app.ready();
  });

  afterAll(() => app?.close());

  it.each(codes)('answers %s with its status, as application/problem+json', async (code) => {
    const response = await app.inject({ url: `/problems/${code}` });
    expect(response.statusCode).toBe(statusByCode[code]);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toEqual(problemOf(code, `a ${code}`, '/field'));
  });
});
