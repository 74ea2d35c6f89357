import { pruneExpiredRecords } from '../backbone/messaging-postgres/retention.ts';
import { pruneProcessedEvents } from '../backbone/consumer/pruning.ts';
import { pruneHandledCommands } from '../backbone/command-channel-rabbitmq/index.ts';
import type { Backbone } from './backbone.ts';

const maintenanceIntervalMs = 3_600_000;

/**
 * Hourly housekeeping: the table log's retention (Kafka does its own), the deduplication window
 * of processed event ids, and that of the saga commands handled from RabbitMQ. Failures are logged and tried again next hour.
 */
export function startMaintenance(backbone: Backbone): NodeJS.Timeout {
  const run = async () => {
    const nowMs = backbone.clock.nowMs();
    try {
      const records = backbone.config.eventLog.kind === 'database' ? await pruneExpiredRecords(backbone.db, nowMs) : 0;
      const processedIds = await pruneProcessedEvents(backbone.db, nowMs);
      const handledCommands = backbone.config.sagaCommands?.kind === 'rabbitmq' ? await pruneHandledCommands(backbone.db, nowMs) : 0;
      if (records + processedIds + handledCommands > 0)
        backbone.logger.info({ records, processedIds, handledCommands }, 'pruned expired log records, processed ids and handled commands');
    } catch (error) {
      backbone.logger.error({ err: error }, 'maintenance failed; trying again in an hour');
    }
  };
  const timer = setInterval(() => void run(), maintenanceIntervalMs);
  timer.unref();
  void run();
  return timer;
}
