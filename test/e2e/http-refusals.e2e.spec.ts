import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform-fixture.ts';

// The refusals Fastify (and Node's HTTP parser under it) would answer with their own bodies: each
// is problem+json with a precise code, on the whole platform's port. Requests the parser refuses
// never become requests, so those rows are sent as raw bytes on a socket.

interface Answer {
  status: number;
  headers: Headers;
  body: { type?: string; code?: string; status?: number; detail?: string };
}

interface Row {
  name: string;
  status: number;
  code: string;
  send: (ps: TestPlatform) => Promise<Answer>;
  also?: (answer: Answer) => void;
}

const viaFetch =
  (method: string, path: string, init: { body?: string; contentType?: string } = {}) =>
  async (ps: TestPlatform): Promise<Answer> => {
    const response = await fetch(`${ps.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ps.apiKey}`, ...(init.contentType === undefined ? {} : { 'content-type': init.contentType }) },
      ...(init.body === undefined ? {} : { body: init.body }),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
  };

/** Writes `request` as it is and reads the answer until the server closes the connection. */
const raw =
  (request: string) =>
  async (ps: TestPlatform): Promise<Answer> => {
    const { hostname, port } = new URL(ps.url);
    const text = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => socket.write(request));
      let received = '';
      socket.on('data', (chunk) => (received += chunk.toString('utf8')));
      socket.on('close', () => resolve(received));
      socket.on('error', (error) => (received ? resolve(received) : reject(error)));
    });
    const [head, ...rest] = text.split('\r\n\r\n');
    const [statusLine, ...headerLines] = head!.split('\r\n');
    const headers = new Headers(
      headerLines.map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1).trim()] as [string, string]),
    );
    return { status: Number(statusLine!.split(' ')[1]), headers, body: JSON.parse(rest.join('\r\n\r\n')) };
  };

const rows: Row[] = [
  {
    name: 'a path parameter over 100 characters',
    status: 414,
    code: 'uri-too-long',
    send: viaFetch('GET', `/v1/payments/${'p'.repeat(101)}`),
  },
  { name: 'a path with broken percent-encoding', status: 400, code: 'malformed-url', send: viaFetch('GET', '/v1/payments/%zz') },
  { name: 'a route that does not exist', status: 404, code: 'not-found', send: viaFetch('GET', '/v1/nothing-here') },
  {
    name: 'a method the route does not take',
    status: 405,
    code: 'method-not-allowed',
    send: viaFetch('DELETE', '/v1/payments/some-payment'),
    also: (answer) => expect(answer.headers.get('allow')).toBe('GET, HEAD'),
  },
  {
    name: 'a body over the limit',
    status: 413,
    code: 'body-too-large',
    send: viaFetch('POST', '/v1/accounts', { body: JSON.stringify({ name: 'x'.repeat(64 * 1024) }), contentType: 'application/json' }),
  },
  {
    name: 'a body that is not JSON by its media type',
    status: 415,
    code: 'unsupported-media-type',
    send: viaFetch('POST', '/v1/accounts', { body: '<account/>', contentType: 'application/xml' }),
  },
  {
    name: 'a body that is not valid JSON',
    status: 400,
    code: 'malformed-json',
    send: viaFetch('POST', '/v1/accounts', { body: '{"name": ', contentType: 'application/json' }),
  },
  {
    name: 'a URL longer than the header limit',
    status: 431,
    code: 'headers-too-large',
    send: raw(`GET /v1/payments/${'p'.repeat(20_000)} HTTP/1.1\r\nHost: paystream\r\nConnection: close\r\n\r\n`),
  },
  {
    name: 'a method HTTP does not know',
    status: 400,
    code: 'malformed-request',
    send: raw('BREW /v1/payments/p HTTP/1.1\r\nHost: paystream\r\nConnection: close\r\n\r\n'),
  },
  { name: 'bytes that are not HTTP', status: 400, code: 'malformed-request', send: raw('HELLO\r\n\r\n') },
];

describe('Fastify and Node refusals answer problem+json', () => {
  let ps: TestPlatform;
  beforeAll(async () => {
    ps = await startTestPlatform('embedded', { awaitScreeningLists: false });
  }, 180_000);
  afterAll(async () => ps?.close(), 60_000);

  it.each(rows)('$name: $status $code', async (row) => {
    const answer = await row.send(ps);
    expect(answer.status).toBe(row.status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({
      type: `https://paystream.dev/problems/${row.code}`,
      code: row.code,
      status: row.status,
      detail: expect.any(String),
    });
    row.also?.(answer);
  });
});
