import { PaymentTopics } from '../../contracts/topics.ts';
import { BackboneError, ErrorCodes, transientError } from '../../backbone/errors.ts';
import type { BatchEventHandler } from '../../backbone/consumer/handler.ts';
import type { PaymentService, ServiceDeps } from '../service.ts';
import { auditRecordOf } from './append.ts';
import { stageAuditRecords } from './stage.ts';
import { AuditChainer } from './chainer-worker.ts';
import { auditMetrics } from './metrics.ts';
import { auditMigrations } from './migrations.ts';
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
  maxPageEntries?: number;
  /** Page size when the caller gives no `limit`. Default 100. */
  pageEntriesDefault?: number;
  /** Staged records the chainer moves per transaction. Default 1000. */
  chainBatchEntries?: number;
  /** Longest the chainer sleeps without a NOTIFY (one lost while disconnected). Default 5000. */
  chainIdlePollMs?: number;
  /** The chainer's pause after a failed round. Default 1000. */
  chainFailureBackoffMs?: number;
}

export interface AuditService extends PaymentService {
  /** The chainer (also in `workers`), for tools and tests that drive it by hand. */
  chainer: AuditChainer;
}

/** The consumer group, and the name of the service. */
export const auditServiceName = 'audit';

/**
 * The audit service: consumer `audit` stages every event of its topics in `audit_pending` (once per
 * eventId, exactly once with the consumer's batch), and the chainer (a worker) moves staged records
 * into the hash-chained, append-only `audit_log`, one total order across partitions and processes.
 * `GET /v1/audit` serves the trail of a flow or a payment; `verifyAuditChain` checks the chain.
 *
 * The consumer never touches the chain head: it used to lock it per event until its batch
 * committed, so batches of every partition queued on one row, each holding a pooled connection.
 *
 * Retry is blocking: an event that cannot be staged holds its partition, so the trail never has
 * a later event of an account before an earlier one.
 */
export function createAuditService(deps: ServiceDeps, options: AuditServiceOptions): AuditService {
  const settings = validate(options);
  const metrics = auditMetrics(deps.metricsRegistry, deps);
  const batchHandler: BatchEventHandler = async (events, context) => {
    const records = events.map(auditRecordOf);
    let staged: number;
    try {
      staged = await stageAuditRecords(context.tx, records, deps.clock.nowMs());
    } catch (error) {
      // The records are valid JSON, so a failure here is the database's: worth retrying.
      throw transientError('could not stage the events for the audit log', error);
    }
    metrics.events.inc({ outcome: 'appended' }, staged);
    if (records.length > staged) metrics.events.inc({ outcome: 'duplicate' }, records.length - staged);
  };
  const chainer = new AuditChainer({
    db: deps.db,
    logger: deps.logger,
    batchEntries: settings.chainBatchEntries,
    idlePollMs: settings.chainIdlePollMs,
    failureBackoffMs: settings.chainFailureBackoffMs,
  });
  return {
    name: auditServiceName,
    migrations: auditMigrations,
    consumers: [
      {
        name: auditServiceName,
        topics: settings.topics,
        batchHandler,
        retry: settings.retryDelaysMs ? { mode: 'blocking', delaysMs: settings.retryDelaysMs } : { mode: 'blocking' },
        // Staging is idempotent per event id (unique index, chained-already check) and emits
        // nothing: no processed-id row for each event of every topic.
        deduplication: 'handler',
      },
    ],
    routes: auditRoutes({
      db: deps.db,
      logger: deps.logger,
      requireScope: options.requireScope,
      maxPageEntries: settings.maxPageEntries,
      pageEntriesDefault: settings.pageEntriesDefault,
    }),
    workers: [chainer],
    chainer,
  };
}

function validate(options: AuditServiceOptions) {
  const settings = {
    topics: [...new Set(options.topics ?? Object.values(PaymentTopics))],
    retryDelaysMs: options.retryDelaysMs,
    maxPageEntries: options.maxPageEntries ?? 1000,
    pageEntriesDefault: options.pageEntriesDefault ?? 100,
    chainBatchEntries: options.chainBatchEntries ?? 1000,
    chainIdlePollMs: options.chainIdlePollMs ?? 5000,
    chainFailureBackoffMs: options.chainFailureBackoffMs ?? 1000,
  };
  const fail = (message: string) => new BackboneError(ErrorCodes.INVALID_OPTIONS, `audit: ${message}`);
  if (typeof options.requireScope !== 'function') throw fail('requireScope is required');
  if (settings.topics.length === 0) throw fail('topics must not be empty');
  if (!Number.isInteger(settings.maxPageEntries) || settings.maxPageEntries < 1) throw fail('maxPageEntries must be a positive integer');
  if (
    !Number.isInteger(settings.pageEntriesDefault) ||
    settings.pageEntriesDefault < 1 ||
    settings.pageEntriesDefault > settings.maxPageEntries
  ) {
    throw fail('pageEntriesDefault must be an integer from 1 to maxPageEntries');
  }
  if (!Number.isInteger(settings.chainBatchEntries) || settings.chainBatchEntries < 1)
    throw fail('chainBatchEntries must be a positive integer');
  if (!Number.isInteger(settings.chainIdlePollMs) || settings.chainIdlePollMs < 1) throw fail('chainIdlePollMs must be a positive integer');
  if (!Number.isInteger(settings.chainFailureBackoffMs) || settings.chainFailureBackoffMs < 1)
    throw fail('chainFailureBackoffMs must be a positive integer');
  return settings;
}
