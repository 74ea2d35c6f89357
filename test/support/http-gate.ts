import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A forwarding HTTP proxy in front of a real API, for fault injection: every request goes through
 * to `target` as it came, except those `refuse` picks, which get a 503 as an API that is down
 * would answer (nothing reaches the API). Until `target` is set every request is refused the same
 * way. Tests point a client's base URL at `url` (e.g. the order flow's ORDERS_PAYMENTS_API_URL).
 */
export interface HttpGate {
  url: string;
  /** Where requests go; set once the real API listens. */
  target: string | undefined;
  /** Which requests to refuse with 503; none by default. */
  refuse: (request: IncomingMessage) => boolean;
  /** Requests refused so far. */
  refused: number;
  close(): Promise<void>;
}

export async function startHttpGate(): Promise<HttpGate> {
  const gate: HttpGate = {
    url: '',
    target: undefined,
    refuse: () => false,
    refused: 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (gate.target === undefined || gate.refuse(request)) {
        gate.refused += 1;
        response.writeHead(503, { 'content-type': 'application/problem+json' }).end('{"title":"refused by the test gate"}');
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(
          (entry): entry is [string, string] =>
            typeof entry[1] === 'string' && !['host', 'connection', 'content-length'].includes(entry[0]),
        ),
      );
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      fetch(`${gate.target}${request.url}`, { method: request.method!, headers, ...(body && { body }) })
        .then(async (answer) => {
          const text = Buffer.from(await answer.arrayBuffer());
          response.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(text);
        })
        .catch(() => response.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  gate.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return gate;
}
