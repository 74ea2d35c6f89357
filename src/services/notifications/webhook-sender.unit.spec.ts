import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook, type WebhookRequest } from './webhook-sender.ts';
import { eventIdHeader, signatureHeader, verifyWebhookSignature } from './signature.ts';

/** A receiver whose paths say what it does: /ok answers 204, /moved redirects to /ok, /hang never answers. */
describe('postWebhook against a real receiver', () => {
  const received: { path: string; headers: Record<string, unknown>; body: string }[] = [];
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        received.push({ path: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (request.url === '/ok') response.writeHead(204).end();
        else if (request.url === '/moved') response.writeHead(302, { location: '/ok' }).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const webhook = (url: string): WebhookRequest => ({
    url,
    secret: 'whsec_test',
    eventId: 'evt-1',
    body: '{"type":"payment.completed"}',
    timestampSeconds: 1_700_000_000,
    timeoutMs: 300,
  });

  it('delivers the signed body and counts a 2xx as delivered', async () => {
    received.length = 0;
    expect(await postWebhook(webhook(`${base}/ok`))).toEqual({ ok: true, statusCode: 204 });
    expect(received).toHaveLength(1);
    const [request] = received;
    expect(request!.body).toBe('{"type":"payment.completed"}');
    expect(request!.headers[eventIdHeader]).toBe('evt-1');
    expect(
      verifyWebhookSignature({
        header: String(request!.headers[signatureHeader]),
        body: request!.body,
        secret: 'whsec_test',
        nowMs: 1_700_000_000_000,
      }),
    ).toEqual({ ok: true });
  });

  it('does not follow a redirect: the signature was made for this endpoint', async () => {
    received.length = 0;
    expect(await postWebhook(webhook(`${base}/moved`))).toEqual({ ok: false, statusCode: 302, error: 'HTTP 302' });
    expect(received.map((request) => request.path)).toEqual(['/moved']);
  });

  it('names a timeout and a refused connection without the URL', async () => {
    expect(await postWebhook(webhook(`${base}/hang`))).toEqual({ ok: false, error: 'timed out after 300 ms' });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await postWebhook(webhook(`http://127.0.0.1:${port}/token-in-path`))).toEqual({
      ok: false,
      error: 'network error: ECONNREFUSED',
    });
  });
});
