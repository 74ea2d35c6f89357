import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApiServer } from './http-server.ts';

// Query strings and path parameters are text, read by their schema's types; bodies stay as sent.
describe('the API server reading a request', () => {
  it('coerces the query string and path parameters to their declared types, and not the body', async () => {
    const app = createApiServer({ logError: () => {}, newRequestId: () => 'request-id-for-the-test' });
    const typed = {
      type: 'object',
      additionalProperties: false,
      properties: { limit: { type: 'integer', minimum: 1 }, verbose: { type: 'boolean' } },
    } as const;
    app.get(
      '/items/:number',
      { schema: { params: { type: 'object', properties: { number: { type: 'integer' } } }, querystring: typed } },
      async (request) => ({ params: request.params, query: request.query }),
    );
    app.post(
      '/items',
      { schema: { body: { type: 'object', required: ['limit'], properties: { limit: { type: 'integer' } } } } },
      async (request) => request.body,
    );
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const read = await fetch(`${url}/items/7?limit=5&verbose=true`);
      expect(read.status).toBe(200);
      expect(await read.json()).toEqual({ params: { number: 7 }, query: { limit: 5, verbose: true } });
      const notANumber = await fetch(`${url}/items/7?limit=five`);
      expect(notANumber.status).toBe(400);
      expect(await notANumber.json()).toMatchObject({ code: 'invalid-field', pointer: '/limit' });
      const body = await fetch(`${url}/items`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ limit: '5' }),
      });
      expect(body.status).toBe(400);
      expect(await body.json()).toMatchObject({ code: 'invalid-field', pointer: '/limit' });
    } finally {
      await app.close();
    }
  });
});

// A request that reaches the server while it shuts down (here: on a connection busy with a request
// in progress) is refused as problem+json, not with Fastify's own 503 body.

describe('the API server while it closes', () => {
  it('answers a request that arrives during shutdown with a 503 problem and closes the connection', async () => {
    const app = createApiServer({ logError: () => {}, newRequestId: () => 'request-id-for-the-test' });
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    app.get('/slow', async () => {
      entered();
      await released;
      return { done: true };
    });
    app.get('/after', async () => ({ served: true }));
    let closingStarted!: () => void;
    const closing = new Promise<void>((resolve) => (closingStarted = resolve));
    app.addHook('preClose', async () => closingStarted());

    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    // Node hands a request on a busy connection over at once (its answer waits for the first's).
    const secondArrived = new Promise<void>((resolve) => app.server.on('request', (request) => request.url === '/after' && resolve()));

    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('utf8')));
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write('GET /slow HTTP/1.1\r\nHost: paystream\r\n\r\n');
    await inHandler;
    const closed = app.close();
    await closing;
    socket.write('GET /after HTTP/1.1\r\nHost: paystream\r\n\r\n');
    await secondArrived;
    release();
    await ended;
    await closed;

    const [, second] = received.split(/(?=HTTP\/1\.1 )/);
    expect(received).toMatch(/^HTTP\/1\.1 200 /);
    expect(second).toMatch(/^HTTP\/1\.1 503 /);
    expect(second).toMatch(/content-type: application\/problem\+json/i);
    expect(second).toMatch(/connection: close/i);
    expect(JSON.parse(second!.slice(second!.indexOf('\r\n\r\n') + 4))).toMatchObject({ status: 503, code: 'service-unavailable' });
  });
});
