import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpPaymentsApi } from './payments-api.ts';

// The payment API client decides what is final: an accepted payment, a refusal of the request
// itself (retrying it would be refused again), or anything else, which the recovery loop retries
// with the same Idempotency-Key. A real HTTP server stands in for the gateway and answers what
// each test asks.
describe('the payment API client', () => {
  let server: Server;
  let baseUrl: string;
  let answer: { status: number; body: unknown } = { status: 202, body: {} };
  const seen: { method: string; url: string; headers: Record<string, unknown>; body: string }[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        seen.push({ method: request.method!, url: request.url!, headers: request.headers, body });
        response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const api = () => httpPaymentsApi({ baseUrl: () => baseUrl, apiKey: () => 'psk_test' });
  const request = {
    idempotencyKey: 'order-pay-o1',
    correlationId: 'o1',
    body: {
      amount: '1.00',
      currency: 'EUR',
      debtor: { name: 'c', account: 'DE1' },
      creditor: { name: 'm', account: 'DE2', agent: 'PAYSDEFFXXX', country: 'DE' },
      remittanceInformation: 'Order o1',
      endToEndId: 'ORDo1',
    },
  };

  it('sends the key, the idempotency key and the correlation id, and reads the payment id of a 202', async () => {
    answer = { status: 202, body: { paymentId: 'p1' } };
    expect(await api().submit(request)).toEqual({ accepted: true, paymentId: 'p1' });
    expect(seen.at(-1)).toMatchObject({
      method: 'POST',
      url: '/v1/payments',
      headers: { authorization: 'Bearer psk_test', 'idempotency-key': 'order-pay-o1', 'x-correlation-id': 'o1' },
    });
  });

  it('takes a 422 as a final refusal, with its problem code', async () => {
    answer = { status: 422, body: { code: 'unknown-debtor-account', detail: 'not an account of this bank' } };
    expect(await api().submit(request)).toEqual({
      accepted: false,
      reasonCode: 'unknown-debtor-account',
      reason: 'not an account of this bank',
    });
  });

  it.each([401, 403, 404, 429, 500, 503])('throws on %i, for the recovery loop to try again', async (status) => {
    answer = { status, body: {} };
    await expect(api().submit(request)).rejects.toThrow(String(status));
  });

  it("reads a payment's outcome: completed, failed with the customer's reason, or not final yet", async () => {
    answer = { status: 200, body: { status: 'COMPLETED' } };
    expect(await api().status('p1')).toEqual({ completed: true });
    answer = { status: 200, body: { status: 'FAILED', failure: { code: 'INSUFFICIENT_FUNDS', reason: 'Insufficient funds' } } };
    expect(await api().status('p1')).toEqual({ completed: false, reasonCode: 'INSUFFICIENT_FUNDS', reason: 'Insufficient funds' });
    answer = { status: 200, body: { status: 'ON_HOLD' } };
    expect(await api().status('p1')).toBeUndefined();
    expect(seen.at(-1)).toMatchObject({ method: 'GET', url: '/v1/payments/p1' });
  });
});
