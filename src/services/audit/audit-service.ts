import { Counter, type Registry } from 'prom-client';
import { PaymentTopics } from '../../contracts/topics.ts';
import { BackboneError, ErrorCodes, transientError } from '../../backbone/errors.ts';
import type { EventHandler } from '../../backbone/consumer/handler.ts';
import type { PaymentService, ServiceDeps } from '../service.ts';
import { appendAuditEntry, auditRecordOf } from './append.ts';
import { auditMigrations } from './schema.ts';
import { auditRoutes } from './routes.ts';
import type { RequireScope } from '../http/index.ts';

export interface AuditServiceOptions {
  /** The API server's scope check; the trail is served to scope `ops` only. */
  requireScope: RequireScope;
  /** Topics to audit. Default: every payment topic; add compliance topics here as they come. */
  topics?: readonly string[];
  /** Blocking retry delays of the consumer. Default: the backbone's (1 s, 5 s, 30 s). */
  retryDelaysMs?: readonly number[];
  /** Largest page of `GET /v1/audit`. Default 1000. */
  pageEntriesMax?: number;
  /** Page size when the caller gives no `limit`. Default 100. */
  pageEntriesDefault?: number;
}

/** The consumer group, and the name of the service. */
export const auditServiceName = 'audit';

/**
 * The audit service: consumer `audit` appends every event of its topics to the hash-chained,
 * append-only `audit_log` (one total order across partitions, once per eventId), and
 * `GET /v1/audit` serves the trail of a flow or a payment. `verifyAuditChain` checks the chain.
 *
 * Retry is blocking: an event that cannot be appended holds its partition, so the trail never has
 * a later event of an account before an earlier one.
 */
export function createAuditService(deps: ServiceDeps, options: AuditServiceOptions): PaymentService {
  const settings = validate(options);
  const appended = auditCounter(deps.metricsRegistry);
  const handler: EventHandler = async (event, context) => {
    const record = auditRecordOf(event);
    let entry;
    try {
      entry = await appendAuditEntry(context.tx, record, deps.clock.nowMs());
    } catch (error) {
      // The record is valid JSON, so a failure here is the database's: worth retrying.
      throw transientError('could not append to the audit log', error);
    }
    appended.inc({ outcome: entry ? 'appended' : 'duplicate' });
    if (entry) deps.logger.debug({ eventId: record.eventId, topic: record.topic, sequence: entry.sequence.toString() }, 'audited');
  };
  return {
    name: auditServiceName,
    migrations: auditMigrations,
    consumers: [
      {
        name: auditServiceName,
        topics: settings.topics,
        handler,
        retry: settings.retryDelaysMs ? { mode: 'blocking', delaysMs: settings.retryDelaysMs } : { mode: 'blocking' },
      },
    ],
    routes: auditRoutes({ db: deps.db, logger: deps.logger, requireScope: options.requireScope, pageEntriesMax: settings.pageEntriesMax, pageEntriesDefault: settings.pageEntriesDefault }),
  };
}

function validate(options: AuditServiceOptions) {
  const settings = {
    topics: [...new Set(options.topics ?? Object.values(PaymentTopics))],
    retryDelaysMs: options.retryDelaysMs,
    pageEntriesMax: options.pageEntriesMax ?? 1000,
    pageEntriesDefault: options.pageEntriesDefault ?? 100,
  };
  const fail = (message: string) => new BackboneError(ErrorCodes.INVALID_OPTIONS, `audit: ${message}`);
  if (typeof options.requireScope !== 'function') throw fail('requireScope is required');
  if (settings.topics.length === 0) throw fail('topics must not be empty');
  if (!Number.isInteger(settings.pageEntriesMax) || settings.pageEntriesMax < 1) throw fail('pageEntriesMax must be a positive integer');
  if (!Number.isInteger(settings.pageEntriesDefault) || settings.pageEntriesDefault < 1 || settings.pageEntriesDefault > settings.pageEntriesMax) {
    throw fail('pageEntriesDefault must be an integer from 1 to pageEntriesMax');
  }
  return settings;
}

/** Shared by every audit service built on `registry` (prom-client refuses a second registration). */
function auditCounter(registry: Registry): Counter<'outcome'> {
  const name = 'paystream_audit_events_total';
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<'outcome'>;
  return new Counter({ name, help: 'Events seen by the audit consumer: appended to the chain, or a duplicate eventId skipped.', labelNames: ['outcome'], registers: [registry] });
}
