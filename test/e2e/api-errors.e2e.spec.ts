import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymentTopics } from '../../src/contracts/topics.ts';
import { apiBodyLimitBytes } from '../../src/runtime/http-server.ts';
import { externalCreditor, startTestPlatform, type JsonBody, type PaymentBody, type TestPlatform } from '../support/platform-fixture.ts';

// Every way a client can get a request wrong, one table row each, against the whole platform on
// the embedded engine: the status, the problem+json body with its stable code, and the JSON pointer
// of the offending field. Then the point of refusing early: none of these requests published an
// event or wrote a payment.

/** A valid IBAN of another bank (Germany), so never an account of this one. */
const foreignIban = 'DE89370400440532013000';

interface Sent {
  method?: string;
  path?: string;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Replaces the default headers (authorization, content-type, idempotency-key) by name; undefined removes one. */
  headers?: Record<string, string | undefined>;
}

interface BadRequest {
  name: string;
  status: number;
  code: string;
  pointer?: string;
  /** What to send; `valid` is a payment request from a funded account of this bank that would be accepted. */
  request: (context: { valid: PaymentBody; debtor: string; readOnlyKey: string }) => Sent;
  /** Further checks on the answer. */
  also?: (response: { headers: Headers; body: JsonBody }) => void;
}

const withPayment = (valid: PaymentBody, change: (body: JsonBody) => void): JsonBody => {
  const body: JsonBody = structuredClone(valid);
  change(body);
  return body;
};

const paymentErrors: BadRequest[] = [
  // The body as bytes.
  { name: 'malformed JSON', status: 400, code: 'malformed-json', request: () => ({ body: '{"amount": "10.00", "currency": ' }) },
  { name: 'an empty JSON body', status: 400, code: 'malformed-json', request: () => ({ body: '' }) },
  {
    name: 'a body over 32 KiB',
    status: 413,
    code: 'body-too-large',
    request: ({ valid }) => ({ body: { ...valid, remittanceInformation: 'x'.repeat(apiBodyLimitBytes + 1) } }),
  },
  { name: 'no body at all', status: 400, code: 'invalid-field', request: () => ({ body: undefined }) },
  // Regression: Fastify parses text/plain itself, and this was a 400 invalid-field "body must be object".
  {
    name: 'a JSON document sent as text/plain',
    status: 415,
    code: 'unsupported-media-type',
    request: ({ valid }) => ({ body: JSON.stringify(valid), headers: { 'content-type': 'text/plain' } }),
  },
  {
    name: 'an application/xml body',
    status: 415,
    code: 'unsupported-media-type',
    request: () => ({ body: '<payment/>', headers: { 'content-type': 'application/xml' } }),
  },
  // The shape (JSON schema).
  { name: 'a JSON array instead of an object', status: 400, code: 'invalid-field', request: ({ valid }) => ({ body: [valid] }) },
  {
    name: 'amount as a number',
    status: 400,
    code: 'invalid-field',
    pointer: '/amount',
    request: ({ valid }) => ({ body: { ...valid, amount: 10 } }),
  },
  {
    name: 'debtor name as an object',
    status: 400,
    code: 'invalid-field',
    pointer: '/debtor/name',
    request: ({ valid }) => ({ body: withPayment(valid, (body) => (body.debtor.name = { first: 'Alice' })) }),
  },
  {
    name: 'an unknown top-level field',
    status: 400,
    code: 'unknown-field',
    pointer: '/priority',
    request: ({ valid }) => ({ body: { ...valid, priority: 'urgent' } }),
  },
  {
    name: 'an unknown field in debtor',
    status: 400,
    code: 'unknown-field',
    pointer: '/debtor/iban',
    request: ({ valid }) => ({ body: withPayment(valid, (body) => (body.debtor.iban = body.debtor.account)) }),
  },
  {
    name: 'no amount',
    status: 400,
    code: 'missing-field',
    pointer: '/amount',
    request: ({ valid }) => ({ body: withPayment(valid, (body) => delete body.amount) }),
  },
  {
    name: 'no creditor',
    status: 400,
    code: 'missing-field',
    pointer: '/creditor',
    request: ({ valid }) => ({ body: withPayment(valid, (body) => delete body.creditor) }),
  },
  {
    name: 'no creditor agent',
    status: 400,
    code: 'missing-field',
    pointer: '/creditor/agent',
    request: ({ valid }) => ({ body: withPayment(valid, (body) => delete body.creditor.agent) }),
  },
  // Currency and amount.
  {
    name: 'an unknown currency (XYZ)',
    status: 422,
    code: 'unknown-currency',
    pointer: '/currency',
    request: ({ valid }) => ({ body: { ...valid, currency: 'XYZ' } }),
  },
  {
    name: 'a code that is not payable (XAU, gold)',
    status: 422,
    code: 'unknown-currency',
    pointer: '/currency',
    request: ({ valid }) => ({ body: { ...valid, currency: 'XAU' } }),
  },
  {
    name: 'three decimals in EUR (1.001)',
    status: 422,
    code: 'too-many-decimals',
    pointer: '/amount',
    request: ({ valid }) => ({ body: { ...valid, amount: '1.001' } }),
  },
  {
    name: 'a decimal in JPY (1.5)',
    status: 422,
    code: 'too-many-decimals',
    pointer: '/amount',
    request: ({ valid }) => ({ body: { ...valid, currency: 'JPY', amount: '1.5' } }),
  },
  {
    name: 'a zero amount',
    status: 422,
    code: 'invalid-amount',
    pointer: '/amount',
    request: ({ valid }) => ({ body: { ...valid, amount: '0.00' } }),
  },
  {
    name: 'a negative amount',
    status: 422,
    code: 'invalid-amount',
    pointer: '/amount',
    request: ({ valid }) => ({ body: { ...valid, amount: '-5.00' } }),
  },
  // Regression: 18 whole digits parse, but 1e19 minor units overflow int8 and the insert failed with a
  // 500 for this request and every other request of its group commit.
  {
    name: 'an amount beyond 64-bit minor units',
    status: 422,
    code: 'invalid-amount',
    pointer: '/amount',
    request: ({ valid }) => ({ body: { ...valid, amount: '100000000000000000.00' } }),
  },
  {
    name: 'an amount with an exponent (1e3)',
    status: 422,
    code: 'invalid-amount',
    pointer: '/amount',
    request: ({ valid }) => ({ body: { ...valid, amount: '1e3' } }),
  },
  {
    name: 'an amount that is not a number (abc)',
    status: 422,
    code: 'invalid-amount',
    pointer: '/amount',
    request: ({ valid }) => ({ body: { ...valid, amount: 'abc' } }),
  },
  // Parties.
  {
    name: 'a debtor IBAN with bad check digits',
    status: 422,
    code: 'invalid-iban',
    pointer: '/debtor/account',
    request: ({ valid }) => ({ body: withPayment(valid, (body) => (body.debtor.account = 'DE00370400440532013000')) }),
  },
  {
    name: 'a creditor IBAN with bad check digits',
    status: 422,
    code: 'invalid-iban',
    pointer: '/creditor/account',
    request: ({ valid }) => ({ body: withPayment(valid, (body) => (body.creditor.account = 'FR0020041010050500013M02606')) }),
  },
  {
    name: 'a creditor account number with characters an account never has',
    status: 422,
    code: 'invalid-account',
    pointer: '/creditor/account',
    request: ({ valid }) => ({ body: withPayment(valid, (body) => (body.creditor.account = 'ACC#123/45')) }),
  },
  {
    name: 'an invalid creditor BIC',
    status: 422,
    code: 'invalid-bic',
    pointer: '/creditor/agent',
    request: ({ valid }) => ({ body: withPayment(valid, (body) => (body.creditor.agent = 'ABCD1234')) }),
  },
  {
    name: 'an invalid debtor BIC',
    status: 422,
    code: 'invalid-bic',
    pointer: '/debtor/agent',
    request: ({ valid }) => ({ body: withPayment(valid, (body) => (body.debtor.agent = '12345678')) }),
  },
  {
    name: 'a creditor country that is not ISO 3166 (XX)',
    status: 422,
    code: 'invalid-country',
    pointer: '/creditor/country',
    request: ({ valid }) => ({ body: withPayment(valid, (body) => (body.creditor.country = 'XX')) }),
  },
  {
    name: 'a debtor account that is a valid IBAN of another bank',
    status: 422,
    code: 'unknown-debtor-account',
    pointer: '/debtor/account',
    request: ({ valid }) => ({ body: withPayment(valid, (body) => (body.debtor.account = foreignIban)) }),
  },
  // Idempotency.
  {
    name: 'no Idempotency-Key',
    status: 400,
    code: 'idempotency-key-missing',
    request: ({ valid }) => ({ body: valid, headers: { 'idempotency-key': undefined } }),
  },
  {
    name: 'an Idempotency-Key of 256 characters',
    status: 400,
    code: 'idempotency-key-invalid',
    request: ({ valid }) => ({ body: valid, headers: { 'idempotency-key': 'k'.repeat(256) } }),
  },
  {
    name: 'an Idempotency-Key with a space',
    status: 400,
    code: 'idempotency-key-invalid',
    request: ({ valid }) => ({ body: valid, headers: { 'idempotency-key': 'two words' } }),
  },
  // Credentials.
  {
    name: 'no credentials',
    status: 401,
    code: 'unauthenticated',
    request: ({ valid }) => ({ body: valid, headers: { authorization: undefined } }),
    also: ({ headers }) => expect(headers.get('www-authenticate')).toBe('Bearer realm="paystream"'),
  },
  {
    name: 'a well-formed key that does not exist',
    status: 401,
    code: 'unauthenticated',
    request: ({ valid }) => ({ body: valid, headers: { authorization: `Bearer psk_000000000000_${'A'.repeat(43)}` } }),
    also: ({ headers }) => expect(headers.get('www-authenticate')).toBe('Bearer realm="paystream"'),
  },
  {
    name: 'a key in the wrong scheme (Basic)',
    status: 401,
    code: 'unauthenticated',
    request: ({ valid }) => ({ body: valid, headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
    also: ({ headers }) => expect(headers.get('www-authenticate')).toBe('Bearer realm="paystream"'),
  },
  {
    name: 'a key with payments:read only',
    status: 403,
    code: 'missing-scope',
    request: ({ valid, readOnlyKey }) => ({ body: valid, headers: { authorization: `Bearer ${readOnlyKey}` } }),
  },
];

const otherErrors: BadRequest[] = [
  {
    name: 'GET an unknown payment',
    status: 404,
    code: 'not-found',
    request: () => ({ method: 'GET', path: '/v1/payments/0190f0f0-0000-7000-8000-000000000000' }),
  },
  { name: 'an unknown route under /v1', status: 404, code: 'not-found', request: () => ({ method: 'GET', path: '/v1/nothing-here' }) },
  {
    name: 'open an account in XYZ',
    status: 422,
    code: 'unknown-currency',
    pointer: '/currency',
    request: () => ({ path: '/v1/accounts', body: { name: 'Dave Example', currency: 'XYZ' } }),
  },
  {
    name: 'open an account without a name',
    status: 400,
    code: 'missing-field',
    pointer: '/name',
    request: () => ({ path: '/v1/accounts', body: { currency: 'EUR' } }),
  },
  {
    name: 'deposit 0',
    status: 422,
    code: 'invalid-amount',
    pointer: '/amount',
    request: ({ debtor }) => ({ path: `/v1/accounts/${debtor}/deposits`, body: { amount: '0' } }),
  },
  {
    name: 'deposit 1.001 EUR',
    status: 422,
    code: 'too-many-decimals',
    pointer: '/amount',
    request: ({ debtor }) => ({ path: `/v1/accounts/${debtor}/deposits`, body: { amount: '1.001' } }),
  },
  {
    name: 'deposit in another currency than the account',
    status: 422,
    code: 'currency-mismatch',
    pointer: '/currency',
    request: ({ debtor }) => ({ path: `/v1/accounts/${debtor}/deposits`, body: { amount: '1.00', currency: 'USD' } }),
  },
  {
    name: 'deposit to an IBAN that is not an account here',
    status: 404,
    code: 'not-found',
    request: () => ({ path: `/v1/accounts/${foreignIban}/deposits`, body: { amount: '10.00' } }),
  },
  {
    name: 'open an account with payments:read only',
    status: 403,
    code: 'missing-scope',
    request: ({ readOnlyKey }) => ({
      path: '/v1/accounts',
      body: { name: 'Dave Example', currency: 'EUR' },
      headers: { authorization: `Bearer ${readOnlyKey}` },
    }),
  },
];

describe('API errors on the embedded engine', () => {
  let ps: TestPlatform;
  let debtor: string;
  let readOnlyKey: string;
  let valid: PaymentBody;
  let submittedBefore: bigint;

  const submittedEndOffset = async () => {
    const offsets = await ps.platform.backbone.bus.endOffsets(PaymentTopics.submitted);
    return [...offsets.values()].reduce((sum, offset) => sum + offset, 0n);
  };

  const send = async (sent: Sent) => {
    const defaults: Record<string, string> = {
      authorization: `Bearer ${ps.apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': randomBytes(8).toString('hex'),
    };
    const headers = Object.fromEntries(
      Object.entries({ ...defaults, ...sent.headers }).filter((entry): entry is [string, string] => entry[1] !== undefined),
    );
    const method = sent.method ?? 'POST';
    if (sent.body === undefined) delete headers['content-type'];
    const response = await fetch(`${ps.url}${sent.path ?? '/v1/payments'}`, {
      method,
      headers,
      ...(sent.body === undefined ? {} : { body: typeof sent.body === 'string' ? sent.body : JSON.stringify(sent.body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text };
  };

  beforeAll(async () => {
    ps = await startTestPlatform('embedded');
    debtor = await ps.openAccount('Alice Example', { deposit: '1000.00' });
    readOnlyKey = (await ps.platform.apiKeys.create('read only (api-errors test)', ['payments:read'])).key;
    valid = {
      amount: '10.00',
      currency: 'EUR',
      debtor: { name: 'Alice Example', account: debtor, agent: 'PAYSDEFFXXX', country: 'DE' },
      creditor: externalCreditor,
    };
    submittedBefore = await submittedEndOffset();
  }, 120_000);
  afterAll(async () => ps?.close(), 60_000);

  describe.each([
    ['POST /v1/payments', paymentErrors],
    ['other routes', otherErrors],
  ])('%s', (_title, rows) => {
    it.each(rows)('$name → $status $code', async (row) => {
      const response = await send(row.request({ valid, debtor, readOnlyKey }));
      expect(response.status, response.text).toBe(row.status);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
      const problem: JsonBody = JSON.parse(response.text);
      expect(problem).toMatchObject({ status: row.status, code: row.code, type: `https://paystream.dev/problems/${row.code}` });
      expect(problem.title).toEqual(expect.any(String));
      expect(problem.detail).toEqual(expect.any(String));
      if (row.pointer === undefined) expect(problem.pointer).toBeUndefined();
      else expect(problem.pointer).toBe(row.pointer);
      row.also?.({ headers: response.headers, body: problem });
    });
  });

  it('a refused request publishes nothing and records no payment', async () => {
    expect(await submittedEndOffset()).toBe(submittedBefore);
    const db = ps.platform.backbone.db;
    expect((await db.query(`select count(*)::int as n from payments`)).rows[0]).toEqual({ n: 0 });
    expect((await db.query(`select count(*)::int as n from payment_idempotency_keys`)).rows[0]).toEqual({ n: 0 });
  });

  // The control for the test above: the measure does move when a request is accepted, so its
  // "did not move" means something. It runs after it (vitest keeps declaration order in a file).
  it('accepts the valid request the rows were made from, which publishes one event', async () => {
    const response = await send({ body: valid });
    expect(response.status, response.text).toBe(202);
    expect(await submittedEndOffset()).toBe(submittedBefore + 1n);
  });

  it('documents the API at /openapi.json (OpenAPI 3, no credentials needed)', async () => {
    const response = await fetch(`${ps.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document: JsonBody = await response.json();
    expect(document.openapi).toMatch(/^3\.\d+\.\d+$/);
    const paths: Record<string, JsonBody> = document.paths;

    const submit = paths['/v1/payments']?.post;
    expect(submit, 'POST /v1/payments').toBeDefined();
    const requestSchema = submit.requestBody.content['application/json'].schema;
    expect(requestSchema.required).toEqual(expect.arrayContaining(['amount', 'currency', 'debtor', 'creditor']));
    expect(requestSchema.additionalProperties).toBe(false);
    expect(requestSchema.properties.creditor.required).toEqual(expect.arrayContaining(['name', 'account', 'agent', 'country']));
    expect(Object.keys(submit.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '403', '413', '415', '422']));
    expect(submit.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'header', name: 'idempotency-key' })]));

    // Fastify's `:param` becomes OpenAPI's `{param}`, with a path parameter.
    const read = paths['/v1/payments/{paymentId}']?.get;
    expect(read, 'GET /v1/payments/{paymentId}').toBeDefined();
    expect(read.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'path', name: 'paymentId', required: true })]));
    expect(paths['/v1/accounts']?.post, 'POST /v1/accounts').toBeDefined();
    expect(paths['/v1/accounts/{iban}']?.get, 'GET /v1/accounts/{iban}').toBeDefined();
    expect(paths['/v1/accounts/{iban}/deposits']?.post, 'POST /v1/accounts/{iban}/deposits').toBeDefined();
    expect(
      Object.keys(paths).filter((path) => path.includes(':')),
      'no Fastify-style :params left',
    ).toEqual([]);
    expect(Object.keys(paths)).not.toContain('/openapi.json');
    expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
  });
});
