import type { FastifyInstance } from 'fastify';
import type { Database } from '../../backbone/storage/database.ts';
import type { NewEvent } from '../../backbone/envelope/event-encoder.ts';
import { formatDecimal } from '../../contracts/money.ts';
import { PaymentEventTypes, PaymentTopics } from '../../contracts/topics.ts';
import { PaymentReasonCodes } from '../../contracts/payment.ts';
import type { ComplianceCaseDecided, PaymentRejected } from '../../contracts/events.ts';
import { decodeCursor, encodeCursor, pageOf } from '../http/pagination.ts';
import { ProblemError, problemSchema } from '../http/problem.ts';
import { Scopes, type RequireScope } from '../http/scopes.ts';
import type { EventPublisher } from '../service.ts';
import { fromJsonValue } from './cases.ts';

interface CaseRow {
  case_id: string;
  payment_id: string;
  debtor_account: string;
  correlation_id: string;
  stage: 'SCREENING' | 'FRAUD';
  status: string;
  reason: string;
  evidence: unknown;
  on_approve: unknown;
  amount_minor: bigint;
  currency: string;
  opened_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
  decision_reason: string | null;
}

const problems = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema };

/** A page of the case list: at most `limit` (default 100, at most 500) cases. */
const casesPageDefault = 100;
const casesPageMax = 500;

const nullableString = { type: ['string', 'null'] } as const;
const caseSchema = {
  type: 'object',
  required: ['caseId', 'paymentId', 'debtorAccount', 'correlationId', 'stage', 'status', 'reason', 'amount', 'currency', 'evidence', 'openedAt', 'decidedAt', 'decidedBy', 'decisionReason'],
  properties: {
    caseId: { type: 'string' },
    paymentId: { type: 'string' },
    debtorAccount: { type: 'string' },
    correlationId: { type: 'string' },
    stage: { type: 'string', enum: ['SCREENING', 'FRAUD'] },
    status: { type: 'string', enum: ['open', 'approved', 'rejected'] },
    reason: { type: 'string' },
    amount: { type: 'string', description: 'decimal, in the currency\'s minor unit precision' },
    currency: { type: 'string' },
    evidence: { description: 'what screening or fraud scoring found' },
    openedAt: { type: 'string', format: 'date-time' },
    decidedAt: nullableString,
    decidedBy: nullableString,
    decisionReason: nullableString,
  },
} as const;
const casePageSchema = {
  type: 'object',
  required: ['cases', 'next'],
  properties: {
    cases: { type: 'array', items: caseSchema },
    next: { ...nullableString, description: 'the cursor of the next page; null on the last page' },
  },
} as const;

/**
 * The compliance officer's queue: list held payments, and approve (the payment goes on) or reject
 * (it ends REJECTED, nothing debited) with a reason. Every decision is an event
 * (`compliance.case-decided.v1`) and so part of the audit trail, with the officer's key id.
 */
export function complianceCaseRoutes(options: { db: Database; publisher: EventPublisher; requireScope: RequireScope }) {
  const { db, publisher, requireScope } = options;
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { status?: 'open' | 'approved' | 'rejected'; limit?: number; cursor?: string } }>(
      '/v1/compliance/cases',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          operationId: 'listComplianceCases',
          tags: ['compliance'],
          summary: 'Payments held for review, oldest first, a page at a time',
          description: 'Pass the response\'s `next` as `cursor` for the next page; `next` is null on the last page. Every case is on exactly one page.',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: { type: 'string', enum: ['open', 'approved', 'rejected'], default: 'open' },
              limit: { type: 'integer', minimum: 1, maximum: casesPageMax, default: casesPageDefault },
              cursor: { type: 'string', maxLength: 512, description: 'the `next` of the previous page, as given' },
            },
          },
          response: { 200: casePageSchema, 400: problemSchema, 401: problemSchema, 403: problemSchema },
        },
      },
      async (request) => {
        const status = request.query.status ?? 'open';
        const limit = request.query.limit ?? casesPageDefault;
        const after = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor, 2);
        if (request.query.cursor !== undefined && !after) throw new ProblemError('invalid-field', '/cursor must be the next of a previous page, as given', '/cursor');
        // Ordered by when the case was opened, to the microsecond, then by id: cases opened in one
        // transaction share a time, and a cursor must still fall between two of them.
        const result = await db.query<CaseRow & { opened_at_us: string }>(
          `select *, (extract(epoch from opened_at) * 1000000)::bigint::text as opened_at_us from compliance_cases
            where status = $1 and ($2::bigint is null or (opened_at, case_id) > (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::text))
            order by opened_at, case_id limit $4`,
          [status, after?.[0] ?? null, after?.[1] ?? null, limit + 1],
        );
        const page = pageOf(result.rows, limit, (last) => encodeCursor([last.opened_at_us, last.case_id]));
        return { cases: page.items.map(caseView), next: page.next };
      },
    );

    app.post<{ Params: { caseId: string }; Body: { decision: 'approve' | 'reject'; reason: string } }>(
      '/v1/compliance/cases/:caseId/decision',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          tags: ['compliance'],
          summary: 'Approve (release) or reject a held payment, with a reason',
          params: { type: 'object', properties: { caseId: { type: 'string', maxLength: 64 } } },
          body: { type: 'object', additionalProperties: false, required: ['decision', 'reason'], properties: { decision: { type: 'string', enum: ['approve', 'reject'] }, reason: { type: 'string', minLength: 3, maxLength: 1000 } } },
          response: { ...problems },
        },
      },
      async (request) => {
        const officer = request.principal!.keyId;
        const { decision, reason } = request.body;
        return db.transaction(async (tx) => {
          const found = await tx.query<CaseRow>(`select * from compliance_cases where case_id = $1 for update`, [request.params.caseId]);
          const row = found.rows[0];
          if (!row) throw new ProblemError('not-found', `no case ${request.params.caseId}`);
          if (row.status !== 'open') throw new ProblemError('conflict', `the case was already ${row.status}`);
          const status = decision === 'approve' ? 'approved' : 'rejected';
          await tx.query(`update compliance_cases set status = $2, decided_at = now(), decided_by = $3, decision_reason = $4 where case_id = $1`, [row.case_id, status, officer, reason]);
          const decided: ComplianceCaseDecided = { caseId: row.case_id, paymentId: row.payment_id, debtorAccount: row.debtor_account, stage: row.stage, decision: decision === 'approve' ? 'APPROVE' : 'REJECT', reason, decidedBy: officer };
          const events: NewEvent[] = [{ topic: PaymentTopics.caseDecided, eventType: PaymentEventTypes[PaymentTopics.caseDecided], key: row.debtor_account, payload: decided }];
          if (decision === 'approve') {
            events.push(fromJsonValue<NewEvent>(row.on_approve));
          } else {
            const rejected: PaymentRejected = { paymentId: row.payment_id, debtorAccount: row.debtor_account, reasonCode: PaymentReasonCodes.COMPLIANCE_REJECTED, reason: `rejected by a compliance officer: ${reason}` };
            events.push({ topic: PaymentTopics.rejected, eventType: PaymentEventTypes[PaymentTopics.rejected], key: row.debtor_account, payload: rejected });
          }
          await publisher.publish(tx, events, { correlationId: row.correlation_id });
          return caseView({ ...row, status, decided_by: officer, decision_reason: reason, decided_at: new Date() });
        });
      },
    );
  };
}

function caseView(row: CaseRow) {
  return {
    caseId: row.case_id,
    paymentId: row.payment_id,
    debtorAccount: row.debtor_account,
    correlationId: row.correlation_id,
    stage: row.stage,
    status: row.status,
    reason: row.reason,
    amount: formatDecimal(row.amount_minor, row.currency),
    currency: row.currency,
    evidence: row.evidence,
    openedAt: row.opened_at.toISOString(),
    decidedAt: row.decided_at?.toISOString() ?? null,
    decidedBy: row.decided_by,
    decisionReason: row.decision_reason,
  };
}
