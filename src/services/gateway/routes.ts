import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Database } from '../../backbone/storage/database.ts';
import type { IdGenerator } from '../../backbone/clock/clock.ts';
import { parseTraceparent } from '../../backbone/observability/tracing.ts';
import { formatDecimal } from '../../contracts/money.ts';
import { customerEventType, customerOutcome } from '../../contracts/customer-view.ts';
import { ProblemError, sendProblem } from '../http/problem.ts';
import { problemResponses } from '../http/openapi.ts';
import { idempotencyKeyHeaders, idempotencyKeyOf, requestDigest, sendAccepted } from '../http/idempotency.ts';
import { Scopes, type RequireScope } from '../http/scopes.ts';
import { checkPaymentRequest, type PaymentRequestBody } from './domain/payment-request.ts';
import type { PaymentIntake } from './intake.ts';
import { paymentRequestSchema, paymentAcceptedSchema, paymentViewSchema } from './openapi-schemas.ts';

export interface PaymentRoutesOptions {
  db: Database;
  ids: IdGenerator;
  intake: PaymentIntake;
  requireScope: RequireScope;
}

/** `POST /v1/payments` (202 at once) and `GET /v1/payments/{paymentId}` (status and timeline). */
export function paymentRoutes(options: PaymentRoutesOptions) {
  const { db, ids, intake, requireScope } = options;
  return async (app: FastifyInstance) => {
    app.post<{ Body: PaymentRequestBody }>(
      '/v1/payments',
      {
        preValidation: requireScope(Scopes.paymentsWrite),
        schema: {
          tags: ['payments'],
          operationId: 'submitPayment',
          summary: 'Submit a credit transfer; answered 202 at once, processed asynchronously',
          description:
            'The same Idempotency-Key with the same body answers the same payment again; with a different body it is refused (422).',
          headers: idempotencyKeyHeaders('payment', {
            'x-correlation-id': { type: 'string', description: 'Optional; generated when absent.' },
          }),
          body: paymentRequestSchema,
          response: { 202: paymentAcceptedSchema, ...problemResponses(400, 401, 403, 413, 415, 422, 503) },
        },
      },
      async (request, reply) => {
        const idempotencyKey = idempotencyKeyOf(request);
        const checked = checkPaymentRequest(request.body);
        const result = await intake.accept({
          apiKeyId: request.principal!.keyId,
          idempotencyKey,
          requestSha256: requestDigest(request.body),
          checked,
          correlationId: correlationIdOf(request, ids),
          traceparent: validTraceparent(headerValue(request.headers.traceparent)),
        });
        if (result.kind === 'refused') return sendProblem(reply, result.problem);
        const { accepted } = result;
        const self = `/v1/payments/${accepted.paymentId}`;
        return sendAccepted(
          reply,
          { location: self, replayed: accepted.replayed },
          {
            paymentId: accepted.paymentId,
            uetr: accepted.uetr,
            status: 'RECEIVED',
            correlationId: accepted.correlationId,
            links: { self },
          },
        );
      },
    );

    app.get<{ Params: { paymentId: string } }>(
      '/v1/payments/:paymentId',
      {
        preValidation: requireScope(Scopes.paymentsRead),
        schema: {
          tags: ['payments'],
          operationId: 'getPayment',
          summary: 'A payment: status, fields, failure reason and the timeline of its events',
          description:
            'The status, reason and timeline are the customer’s view (docs/payments.md, “What a customer is told”): a payment stopped or held by the bank’s compliance checks shows a neutral code and text, never their evidence.',
          params: { type: 'object', properties: { paymentId: { type: 'string', maxLength: 64 } } },
          response: { 200: paymentViewSchema, ...problemResponses(400, 401, 403, 404, 503) },
        },
      },
      async (request) => {
        const found = await db.query<PaymentRow>(
          `select payment_id, uetr, correlation_id, api_key_id, payment_order, status, reason_code, reason, received_at, updated_at from payments where payment_id = $1`,
          [request.params.paymentId],
        );
        const row = found.rows[0];
        const principal = request.principal!;
        // A key sees the payments it made; an operator key sees all.
        if (!row || (row.api_key_id !== principal.keyId && !principal.scopes.has(Scopes.ops)))
          throw new ProblemError('not-found', `no payment ${request.params.paymentId}`);
        const timeline = await db.query<{ event_id: string; event_type: string; topic: string; occurred_at: Date }>(
          `select event_id, event_type, topic, occurred_at from payment_timeline where payment_id = $1 order by occurred_at, event_id`,
          [row.payment_id],
        );
        return paymentView(row, timeline.rows);
      },
    );
  };
}

interface PaymentRow {
  payment_id: string;
  uetr: string;
  correlation_id: string;
  api_key_id: string;
  payment_order: {
    endToEndId: string;
    amountMinor: string;
    currency: string;
    debtor: object;
    creditor: object;
    remittanceInformation: string | null;
  };
  status: string;
  reason_code: string | null;
  reason: string | null;
  received_at: Date;
  updated_at: Date;
}

/** The customer's view of a payment: status, reason and timeline go through `customerOutcome` and `customerEventType`. */
function paymentView(row: PaymentRow, timeline: { event_id: string; event_type: string; topic: string; occurred_at: Date }[]) {
  const order = row.payment_order;
  const outcome = customerOutcome({ status: row.status, reasonCode: row.reason_code, reason: row.reason });
  return {
    paymentId: row.payment_id,
    uetr: row.uetr,
    endToEndId: order.endToEndId,
    status: outcome.status,
    amount: formatDecimal(BigInt(order.amountMinor), order.currency),
    currency: order.currency,
    debtor: order.debtor,
    creditor: order.creditor,
    remittanceInformation: order.remittanceInformation,
    correlationId: row.correlation_id,
    failure: outcome.reason ? { code: outcome.reason.code, reason: outcome.reason.text } : null,
    receivedAt: row.received_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    timeline: timeline.flatMap((entry) => {
      const type = customerEventType(entry.event_type);
      return type === undefined ? [] : [{ eventId: entry.event_id, type, at: entry.occurred_at.toISOString() }];
    }),
  };
}

function correlationIdOf(request: FastifyRequest, ids: IdGenerator): string {
  const given = headerValue(request.headers['x-correlation-id']);
  return given !== undefined && /^[A-Za-z0-9._:-]{8,128}$/.test(given) ? given : ids.eventId();
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function validTraceparent(value: string | undefined): string | undefined {
  return value !== undefined && parseTraceparent(value) ? value : undefined;
}
