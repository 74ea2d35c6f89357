/**
 * The server of the http-floor bench: Fastify with one route and nothing behind it. `POST /exchange`
 * parses the JSON body (as every route of the API does) and answers 202 with a small JSON body, the
 * shape of the payment API's answer. The driver forks it, reads `ready` with the port, and measures
 * its CPU apart from its own.
 */
import Fastify from 'fastify';

export type FloorServerMessage = { type: 'ready'; port: number };

process.on('disconnect', () => process.exit(1));

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
let accepted = 0;
app.post('/exchange', async (request, reply) => {
  accepted++;
  const body = request.body as { amount?: unknown };
  return reply.code(202).send({ id: accepted, status: 'RECEIVED', amount: body.amount ?? null, links: { self: `/exchange/${accepted}` } });
});
await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('the floor server has no TCP port');
process.send!({ type: 'ready', port: address.port } satisfies FloorServerMessage);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
