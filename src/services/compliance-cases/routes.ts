import type { FastifyInstance } from 'fastify';
import type { Database, SqlRunner } from '../../backbone/storage/database.ts';
import type { NewEvent } from '../../backbone/envelope/event-encoder.ts';
import { formatDecimal } from '../../contracts/money.ts';
import { cursorParameter, decodeCursor, encodeCursor, limitParameter, nextCursorSchema, pageOf, parseLimit } from '../http/pagination.ts';
import { ProblemError } from '../http/problem.ts';
import { problemResponses } from '../http/openapi.ts';
import { Scopes, type RequireScope } from '../http/scopes.ts';
import type { EventPublisher } from '../service.ts';
import { fromJsonValue } from './cases.ts';
import { decideCase, type CaseStatus } from './domain/case-decision.ts';

interface CaseRow {
  case_id: string;
  payment_id: string;
  debtor_account: string;
  correlation_id: string;
  stage: 'SCREENING' | 'FRAUD';
  status: CaseStatus;
  reason: string;
  evidence: unknown;
  on_approve: unknown;
  on_reject: unknown;
  amount_minor: bigint;
  currency: string;
  opened_at: Date;
  decided_at: Date | null;
  decided_by: string | null;
  decision_reason: string | null;
}

/** A payment held while its account's case was open, decided with the case. */
interface AttachedRow {
  payment_id: string;
  case_id: string;
  correlation_id: string;
  reason: string;
  on_approve: unknown;
  amount_minor: bigint;
  currency: string;
  attached_at: Date;
}

const caseStatuses = ['open', 'approved', 'rejected', 'withdrawn'] satisfies CaseStatus[];

const caseSchema = {
  type: 'object',
  properties: {
    caseId: { type: 'string' },
    paymentId: { type: 'string' },
    debtorAccount: { type: 'string' },
    correlationId: { type: 'string' },
    stage: { type: 'string', enum: ['SCREENING', 'FRAUD'] },
    status: {
      type: 'string',
      enum: caseStatuses,
      description: '`withdrawn`: its subject ended before a decision (a loan application that ended undecided); `decisionReason` says why',
    },
    reason: { type: 'string' },
    amount: { type: 'string', description: 'Decimal string in `currency`' },
    currency: { type: 'string' },
    evidence: {
      type: 'object',
      additionalProperties: true,
      description: 'What the officer needs to decide: matches, scores, list versions',
    },
    openedAt: { type: 'string', format: 'date-time' },
    decidedAt: { type: ['string', 'null'], format: 'date-time' },
    decidedBy: { type: ['string', 'null'], description: "The officer's API key id, or the system that withdrew the case" },
    decisionReason: { type: ['string', 'null'] },
    attachedPayments: {
      type: 'array',
      description: "Payments of the same account held while the case was open (fraud cases): the case's decision applies to each",
      items: {
        type: 'object',
        properties: {
          paymentId: { type: 'string' },
          correlationId: { type: 'string' },
          reason: { type: 'string' },
          amount: { type: 'string' },
          currency: { type: 'string' },
          attachedAt: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;

/** The case list's pages: 100 cases unless the officer asks for fewer or more (at most 500). */
const casesPageLimits = { default: 100, max: 500 };

/**
 * The compliance officer's queue: list held payments, and approve (the payment goes on) or reject
 * (it ends REJECTED, nothing debited) with a reason. Every decision is an event
 * (`compliance.case-decided.v1`) and so part of the audit trail, with the officer's key id.
 */
export function complianceCaseRoutes(options: { db: Database; publisher: EventPublisher; requireScope: RequireScope }) {
  const { db, publisher, requireScope } = options;
  return async (app: FastifyInstance) => {
    app.get<{ Querystring: { status?: CaseStatus; limit?: string; cursor?: string } }>(
      '/v1/compliance/cases',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          operationId: 'listComplianceCases',
          tags: ['compliance'],
          summary: 'Payments held for review, oldest first',
          description: 'Cursor-paginated: pass `nextCursor` as `cursor` until it is null; every case of the status is on exactly one page.',
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: {
              status: { type: 'string', enum: caseStatuses },
              limit: limitParameter(casesPageLimits),
              cursor: cursorParameter,
            },
          },
          response: {
            200: {
              type: 'object',
              required: ['cases', 'nextCursor'],
              properties: { cases: { type: 'array', items: caseSchema }, nextCursor: nextCursorSchema },
            },
            ...problemResponses(400, 401, 403, 503),
          },
        },
      },
      async (request) => {
        const limit = parseLimit(request.query.limit, casesPageLimits);
        // The sort key: when the case was opened, to the microsecond, then its id (cases opened in
        // one transaction share a time, and a page may end between two of them).
        const after = request.query.cursor === undefined ? undefined : decodeCursor(request.query.cursor, 2, /^[\x21-\x7e]{1,128}$/);
        if (after && !/^[0-9]{1,17}$/.test(after[0]!))
          throw new ProblemError(
            'invalid-field',
            'cursor is not a cursor this list gave out (pass the nextCursor of the previous page as is)',
            'cursor',
          );
        const result = await db.query<CaseRow & { opened_at_us: string }>(
          `select *, (extract(epoch from opened_at) * 1000000)::bigint::text as opened_at_us from compliance_cases
            where status = $1 and ($2::bigint is null or (opened_at, case_id) > (timestamptz 'epoch' + $2::bigint * interval '1 microsecond', $3::text))
            order by opened_at, case_id limit $4`,
          [request.query.status ?? 'open', after?.[0] ?? null, after?.[1] ?? null, limit + 1],
        );
        const page = pageOf(result.rows, limit, (last) => encodeCursor([last.opened_at_us, last.case_id]));
        const attached = await attachedPayments(
          db,
          page.items.map((row) => row.case_id),
        );
        return { cases: page.items.map((row) => caseView(row, attached.get(row.case_id) ?? [])), nextCursor: page.nextCursor };
      },
    );

    app.post<{ Params: { caseId: string }; Body: { decision: 'approve' | 'reject'; reason: string } }>(
      '/v1/compliance/cases/:caseId/decision',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          operationId: 'decideComplianceCase',
          tags: ['compliance'],
          summary: 'Approve (release) or reject a held payment, with a reason',
          description:
            'The decision applies to the case payment and to every payment attached to the case (`attachedPayments`). A case decided already is a 409 `conflict`; one withdrawn because its subject ended first (a loan application that ended undecided) a 409 `case-withdrawn`.',
          params: { type: 'object', properties: { caseId: { type: 'string', maxLength: 64 } } },
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['decision', 'reason'],
            properties: {
              decision: { type: 'string', enum: ['approve', 'reject'] },
              reason: { type: 'string', minLength: 3, maxLength: 1000 },
            },
          },
          response: { 200: caseSchema, ...problemResponses(400, 401, 403, 404, 409, 413, 415, 503) },
        },
      },
      async (request) => {
        const officer = request.principal!.keyId;
        const { decision, reason } = request.body;
        return db.transaction(async (tx) => {
          const found = await tx.query<CaseRow>(`select * from compliance_cases where case_id = $1 for update`, [request.params.caseId]);
          const row = found.rows[0];
          if (!row) throw new ProblemError('not-found', `no case ${request.params.caseId}`);
          // Read after the case row is locked: a payment attached before the lock is decided here,
          // and one held after it finds the case decided and opens a new one.
          const attached = (await attachedPayments(tx, [row.case_id])).get(row.case_id) ?? [];
          const payments = [
            { payment_id: row.payment_id, correlation_id: row.correlation_id, on_approve: row.on_approve, on_reject: row.on_reject },
            ...attached.map((payment) => ({ ...payment, on_reject: null })),
          ].map((payment) => ({
            paymentId: payment.payment_id,
            correlationId: payment.correlation_id,
            onApprove: fromJsonValue<NewEvent>(payment.on_approve),
            onReject: payment.on_reject === null ? undefined : fromJsonValue<NewEvent>(payment.on_reject),
          }));
          const outcome = decideCase(
            {
              caseId: row.case_id,
              debtorAccount: row.debtor_account,
              stage: row.stage,
              status: row.status,
              withdrawnReason: row.decision_reason,
              payments,
            },
            { decision, reason, officerKeyId: officer },
          );
          if (outcome.kind === 'refuse') throw new ProblemError(outcome.code, outcome.reason);
          const { status } = outcome;
          await tx.query(
            `update compliance_cases set status = $2, decided_at = now(), decided_by = $3, decision_reason = $4 where case_id = $1`,
            [row.case_id, status, officer, reason],
          );
          for (const publication of outcome.publications)
            await publisher.publish(tx, publication.events, { correlationId: publication.correlationId });
          return caseView({ ...row, status, decided_by: officer, decision_reason: reason, decided_at: new Date() }, attached);
        });
      },
    );
  };
}

/** The payments attached to each of these cases, in the order they were held. */
async function attachedPayments(db: SqlRunner, caseIds: readonly string[]): Promise<Map<string, AttachedRow[]>> {
  const byCase = new Map<string, AttachedRow[]>();
  if (caseIds.length === 0) return byCase;
  const result = await db.query<AttachedRow>(
    `select * from compliance_case_payments where case_id = any($1::text[]) order by attached_at, payment_id`,
    [caseIds],
  );
  for (const row of result.rows) byCase.set(row.case_id, [...(byCase.get(row.case_id) ?? []), row]);
  return byCase;
}

function caseView(row: CaseRow, attached: readonly AttachedRow[]) {
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
    /** Payments of the same account held while the case was open: the decision applies to each. */
    attachedPayments: attached.map((payment) => ({
      paymentId: payment.payment_id,
      correlationId: payment.correlation_id,
      reason: payment.reason,
      amount: formatDecimal(payment.amount_minor, payment.currency),
      currency: payment.currency,
      attachedAt: payment.attached_at.toISOString(),
    })),
  };
}
