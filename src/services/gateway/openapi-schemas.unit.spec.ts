import { describe, expect, it } from 'vitest';
import Fastify from 'fastify';
import { paymentViewSchema } from './openapi-schemas.ts';

describe('the payment view schema (the customer-facing response)', () => {
  it('is closed: every object but the parties (the customer’s own input) refuses fields it does not name', () => {
    const open: string[] = [];
    const walk = (schema: Record<string, unknown>, path: string) => {
      if (schema.properties === undefined) return;
      if (schema.additionalProperties !== false && !/^\/(debtor|creditor)$/.test(path)) open.push(path || '/');
      for (const [name, child] of Object.entries(schema.properties as Record<string, Record<string, unknown>>))
        walk(child, `${path}/${name}`);
      if (schema.items) walk(schema.items as Record<string, unknown>, `${path}/items`);
    };
    walk(paymentViewSchema, '');
    expect(open).toEqual([]);
  });

  it('names no internal status, reason code or event type', () => {
    const text = JSON.stringify(paymentViewSchema);
    for (const internal of [
      'BLOCKED',
      'HELD_FOR_REVIEW',
      'SANCTIONS_HIT',
      'COMPLIANCE_REJECTED',
      'PaymentBlocked',
      'PaymentHeldForReview',
      'AmlAlertRaised',
      'PaymentScored',
      'ComplianceCaseDecided',
    ]) {
      expect(text).not.toContain(`"${internal}"`);
    }
  });

  it('drops a field it does not name from a response, as Fastify serializes it', async () => {
    const app = Fastify();
    app.get('/view', { schema: { response: { 200: paymentViewSchema } } }, async () => ({
      paymentId: 'p-1',
      status: 'REJECTED',
      failure: { code: 'PAYMENT_NOT_PROCESSED', reason: 'The payment could not be processed.', evidence: 'OFAC-SDN 2686' },
      screeningDecisionId: 'decision-1',
      timeline: [{ eventId: 'e-1', type: 'PaymentRejected', at: '2026-01-01T00:00:00.000Z', topic: 'payments.blocked.v1' }],
    }));
    const body = (await app.inject({ url: '/view' })).json();
    await app.close();
    expect(body).toEqual({
      paymentId: 'p-1',
      status: 'REJECTED',
      failure: { code: 'PAYMENT_NOT_PROCESSED', reason: 'The payment could not be processed.' },
      timeline: [{ eventId: 'e-1', type: 'PaymentRejected', at: '2026-01-01T00:00:00.000Z' }],
    });
  });
});
