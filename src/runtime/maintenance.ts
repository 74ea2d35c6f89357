import { pruneExpiredRecords } from '../backbone/messaging-postgres/retention.ts';
import { pruneProcessedEvents } from '../backbone/consumer/pruning.ts';
import type { Backbone } from './backbone.ts';

const maintenanceIntervalMs = 3_600_000;

/**
 * Hourly housekeeping: the table log's retention (Kafka does its own) and the deduplication
 * window of processed event ids. Failures are logged and tried again next hour.
 */
export function startMaintenance(backbone: Backbone): NodeJS.Timeout {
  const run = async () => {
    const nowMs = backbone.clock.nowMs();
    try {
      const records = backbone.config.eventLog.kind === 'database' ? await pruneExpiredRecords(backbone.db, nowMs) : 0;
      const processedIds = await pruneProcessedEvents(backbone.db, nowMs);
      if (records + processedIds > 0) backbone.logger.info({ records, processedIds }, 'pruned expired log records and processed ids');
    } catch (error) {
      backbone.logger.error({ err: error }, 'maintenance failed; trying again in an hour');
    }
  };
  const timer = setInterval(() => void run(), maintenanceIntervalMs);
  timer.unref();
  void run();
  return timer;
}
