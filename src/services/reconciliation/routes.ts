import type { FastifyInstance } from 'fastify';
import type { Database } from '../../backbone/storage/database.ts';
import { ProblemError } from '../http/problem.ts';
import { problemResponses } from '../http/openapi.ts';
import { Scopes, type RequireScope } from '../http/scopes.ts';
import { isBusinessDate } from './domain/business-day.ts';
import { BreakKinds } from './domain/reconcile.ts';
import { latestReport } from './reports.ts';
import { ReconciliationError } from './errors.ts';

const amount = { type: 'string', description: 'Minor units, as a string' } as const;

const reportSchema = {
  type: 'object',
  properties: {
    runId: { type: 'string' },
    date: { type: 'string', format: 'date' },
    runAt: { type: 'string', format: 'date-time' },
    triggeredBy: { type: 'string', enum: ['schedule', 'manual'] },
    clean: { type: 'boolean' },
    screening: { type: 'string', enum: ['checked', 'not-checked'] },
    statementMessageId: { type: ['string', 'null'] },
    counts: { type: 'object', additionalProperties: true },
    breaks: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          kind: { type: 'string', enum: Object.values(BreakKinds) },
          paymentId: { type: 'string' },
          uetr: { type: 'string' },
          detail: { type: 'string' },
          currency: { type: 'string' },
          ledgerAmountMinor: amount,
          statementAmountMinor: amount,
          paymentAmountMinor: amount,
          paymentStatus: { type: 'string' },
        },
      },
    },
    timingDifferences: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          paymentId: { type: 'string' },
          uetr: { type: 'string' },
          detail: { type: 'string' },
          postedOn: { type: 'string' },
          settledOn: { type: 'string' },
        },
      },
    },
  },
} as const;

/**
 * `GET /v1/reconciliation/{date}`: the latest report of a business day (scope `ops`). Read-only:
 * running a reconciliation is the scheduler's and the CLI's, never a side effect of reading.
 */
export function reconciliationRoutes(options: { db: Database; requireScope: RequireScope; run: (date: string) => Promise<unknown> }) {
  const { db, requireScope, run } = options;
  return async (app: FastifyInstance) => {
    // An operator's run on demand (the CLI's `paystream reconcile --date` calls it); stores a new report.
    app.post<{ Params: { date: string } }>(
      '/v1/reconciliation/:date/runs',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          operationId: 'runReconciliation',
          tags: ['reconciliation'],
          summary: 'Reconcile a business day now and store the report',
          params: { type: 'object', properties: { date: { type: 'string', maxLength: 10 } } },
          response: { 201: reportSchema, ...problemResponses(400, 401, 403, 503) },
        },
      },
      async (request, reply) => {
        const { date } = request.params;
        if (!isBusinessDate(date)) throw new ProblemError('invalid-field', 'date must be a calendar date written YYYY-MM-DD', '/date');
        try {
          await run(date);
        } catch (error) {
          if (!(error instanceof ReconciliationError)) throw error;
          if (error.code === 'INVALID_DATE') throw new ProblemError('invalid-field', error.message, '/date');
          throw new ProblemError('service-unavailable', `the RTGS statement could not be used: ${error.message}`);
        }
        return reply.code(201).send(await latestReport(db, date));
      },
    );

    app.get<{ Params: { date: string } }>(
      '/v1/reconciliation/:date',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          tags: ['reconciliation'],
          operationId: 'getReconciliationReport',
          summary: 'The latest reconciliation report of a business day (UTC date)',
          params: { type: 'object', properties: { date: { type: 'string', maxLength: 10 } } },
          response: { 200: reportSchema, ...problemResponses(400, 401, 403, 404, 503) },
        },
      },
      async (request) => {
        const { date } = request.params;
        if (!isBusinessDate(date)) throw new ProblemError('invalid-field', 'date must be a calendar date written YYYY-MM-DD', '/date');
        const report = await latestReport(db, date);
        if (!report) throw new ProblemError('not-found', `${date} has not been reconciled`);
        return report;
      },
    );
  };
}
