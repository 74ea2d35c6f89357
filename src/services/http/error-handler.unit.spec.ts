import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance } from 'fastify';
import { BackboneError, ErrorCodes } from '../../backbone/errors.ts';
import { installProblemErrorHandler } from './error-handler.ts';
import { ProblemError, problemOf } from './problem.ts';

// Every error a route can meet, answered as problem+json with a precise code: on a real Fastify
// instance, validated as the API server validates (no coercion, no defaults), with routes that
// throw each kind of error.
describe('installProblemErrorHandler', () => {
  let app: FastifyInstance;
  const logged: unknown[] = [];

  beforeAll(async () => {
    app = Fastify({
      bodyLimit: 1_024,
      ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    });
    installProblemErrorHandler(app, (error) => logged.push(error));
    app.post(
      '/v1/things',
      {
        schema: {
          querystring: { type: 'object', additionalProperties: false, properties: { dryRun: { type: 'string', enum: ['true', 'false'] } } },
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['amount', 'creditor'],
            properties: {
              amount: { type: 'string', pattern: '^[0-9]+$' },
              creditor: {
                type: 'object',
                additionalProperties: false,
                required: ['account'],
                properties: { account: { type: 'string', minLength: 5 } },
              },
            },
          },
        },
      },
      async () => ({ ok: true }),
    );
    app.get('/v1/problem', async () => {
      throw new ProblemError('currency-mismatch', 'the account is in EUR', '/currency');
    });
    app.get('/v1/database-down', async () => {
      throw new BackboneError(ErrorCodes.DATABASE_UNAVAILABLE, 'connection refused');
    });
    app.get('/v1/handler-bug', async () => {
      throw new BackboneError(ErrorCodes.INVALID_OPTIONS, 'bad options');
    });
    app.get('/v1/driver-error', async () => {
      throw Object.assign(new Error('duplicate key value violates unique constraint'), {
        code: '23505',
        detail: 'Key (name)=(Ada Lovelace) already exists.',
      });
    });
    await app.ready();
  });

  afterAll(() => app?.close());

  const post = (payload: string, contentType = 'application/json', url = '/v1/things') =>
    app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload });
  /** The problem body of `response`, whose status field must be the response's own. */
  async function problem(response: Awaited<ReturnType<typeof post>>): Promise<Record<string, unknown>> {
    expect(response.headers['content-type'], response.body).toMatch(/^application\/problem\+json/);
    const body = response.json<Record<string, unknown>>();
    expect(body.status, "the problem's status is the response's").toBe(response.statusCode);
    return body;
  }

  it('passes a valid request through', async () => {
    expect((await post('{"amount":"10","creditor":{"account":"FR142004"}}')).statusCode).toBe(200);
  });

  it('answers a ProblemError with its own problem', async () => {
    expect(await problem(await app.inject({ url: '/v1/problem' }))).toEqual(
      problemOf('currency-mismatch', 'the account is in EUR', '/currency'),
    );
  });

  it('names an unknown body field, nested ones with their path', async () => {
    expect(await problem(await post('{"amount":"10","creditor":{"account":"FR142004"},"memo":"x"}'))).toMatchObject({
      status: 400,
      code: 'unknown-field',
      pointer: '/memo',
      detail: 'unknown field /memo',
    });
    expect(await problem(await post('{"amount":"10","creditor":{"account":"FR142004","bic":"X"}}'))).toMatchObject({
      status: 400,
      code: 'unknown-field',
      pointer: '/creditor/bic',
    });
  });

  it('names a missing body field, nested ones with their path', async () => {
    expect(await problem(await post('{"creditor":{"account":"FR142004"}}'))).toMatchObject({
      status: 400,
      code: 'missing-field',
      pointer: '/amount',
      detail: 'missing field /amount',
    });
    expect(await problem(await post('{"amount":"10","creditor":{}}'))).toMatchObject({
      status: 400,
      code: 'missing-field',
      pointer: '/creditor/account',
    });
  });

  it('names a field of the wrong type or format', async () => {
    expect(await problem(await post('{"amount":10,"creditor":{"account":"FR142004"}}'))).toMatchObject({
      status: 400,
      code: 'invalid-field',
      pointer: '/amount',
      detail: '/amount must be string',
    });
    expect(await problem(await post('{"amount":"1.5","creditor":{"account":"FR142004"}}'))).toMatchObject({
      status: 400,
      code: 'invalid-field',
      pointer: '/amount',
    });
    expect(await problem(await post('{"amount":"10","creditor":{"account":"FR"}}'))).toMatchObject({
      status: 400,
      code: 'invalid-field',
      pointer: '/creditor/account',
    });
  });

  it('refuses a body that is not an object as invalid, without a pointer', async () => {
    const answer = await problem(await post('[1]'));
    expect(answer).toMatchObject({ status: 400, code: 'invalid-field', detail: 'body must be object' });
    expect(answer).not.toHaveProperty('pointer');
  });

  it('refuses a bad query parameter and an unknown one', async () => {
    expect(
      await problem(await post('{"amount":"10","creditor":{"account":"FR142004"}}', 'application/json', '/v1/things?dryRun=maybe')),
    ).toMatchObject({ status: 400, code: 'invalid-field', pointer: '/dryRun' });
    expect(
      await problem(await post('{"amount":"10","creditor":{"account":"FR142004"}}', 'application/json', '/v1/things?page=2')),
    ).toMatchObject({ status: 400, code: 'unknown-field', pointer: '/page' });
  });

  it('answers JSON that does not parse, or an empty JSON body, as malformed-json', async () => {
    expect(await problem(await post('{"amount":'))).toMatchObject({ status: 400, code: 'malformed-json' });
    expect(await problem(await post(''))).toMatchObject({ status: 400, code: 'malformed-json' });
  });

  it('answers a JSON document sent as text/plain as the wrong media type, not as a wrong field', async () => {
    expect(await problem(await post('{"amount":"10","creditor":{"account":"FR142004"}}', 'text/plain; charset=utf-8'))).toMatchObject({
      status: 415,
      code: 'unsupported-media-type',
      detail: 'the body must be application/json, not text/plain',
    });
  });

  it('takes a JSON media type with a suffix or parameters', async () => {
    expect((await post('{"amount":"10","creditor":{"account":"FR142004"}}', 'application/json; charset=utf-8')).statusCode).toBe(200);
  });

  it('answers a media type the API does not parse as 415', async () => {
    expect(await problem(await post('<amount>10</amount>', 'application/xml'))).toMatchObject({
      status: 415,
      code: 'unsupported-media-type',
    });
  });

  it('answers a body over the limit as 413', async () => {
    expect(await problem(await post(JSON.stringify({ amount: '1'.repeat(2_000), creditor: { account: 'FR142004' } })))).toMatchObject({
      status: 413,
      code: 'body-too-large',
    });
  });

  it('answers a retryable backbone error (a database down) as 503 with Retry-After, accepting nothing', async () => {
    const response = await app.inject({ url: '/v1/database-down' });
    expect(response.headers['retry-after']).toBe('1');
    expect(await problem(response)).toEqual(
      problemOf('service-unavailable', 'a dependency is unavailable; nothing was accepted, retry later'),
    );
  });

  it('answers anything else as a 500 that reveals nothing, and logs its name, code and message only (a driver detail can quote personal data)', async () => {
    logged.length = 0;
    expect(await problem(await app.inject({ url: '/v1/handler-bug' }))).toEqual(
      problemOf('internal-error', 'the request could not be completed; nothing was accepted'),
    );
    const response = await app.inject({ url: '/v1/driver-error' });
    expect(await problem(response)).toEqual(problemOf('internal-error', 'the request could not be completed; nothing was accepted'));
    expect(response.body).not.toContain('Ada Lovelace');
    expect(logged).toEqual([
      { name: 'BackboneError', code: ErrorCodes.INVALID_OPTIONS, message: 'bad options' },
      { name: 'Error', code: '23505', message: 'duplicate key value violates unique constraint' },
    ]);
  });

  it('answers an unknown route as not-found, naming the path without its query', async () => {
    expect(await problem(await app.inject({ url: '/v1/nothing-here?token=secret' }))).toEqual(
      problemOf('not-found', 'no route GET /v1/nothing-here'),
    );
  });
});
