import { Gauge, type Registry } from 'prom-client';
import type { OutboxBacklog } from '../outbox/index.ts';

/**
 * The RabbitMQ command relay's backlog on /metrics, as the event outbox's is
 * (`paystream_outbox_backlog_rows`, `paystream_outbox_oldest_age_seconds`): saga commands written
 * in `saga_command_outbox` that the broker has not confirmed yet, and how long the oldest has
 * waited. A backlog that only grows means the broker is unreachable or refuses the commands: the
 * sagas wait on their deadlines meanwhile (alert `PaystreamSagaCommandsStuck`).
 */
export function registerCommandRelayMetrics(registry: Registry, backlog: () => Promise<OutboxBacklog>): void {
  // One query per scrape feeds both gauges (prom-client collects them concurrently); a failed read
  // keeps the last values rather than failing the whole scrape.
  let reading: Promise<OutboxBacklog> | undefined;
  const read = (): Promise<OutboxBacklog> =>
    (reading ??= backlog().finally(() => {
      reading = undefined;
    }));
  new Gauge({
    name: 'paystream_saga_command_backlog_rows',
    help: 'Saga commands in the RabbitMQ command outbox not yet confirmed by the broker.',
    registers: [registry],
    async collect() {
      const current = await read().catch(() => undefined);
      if (current) this.set(Number(current.rows));
    },
  });
  new Gauge({
    name: 'paystream_saga_command_oldest_age_seconds',
    help: 'Age of the oldest saga command not yet confirmed by RabbitMQ; 0 when none waits.',
    registers: [registry],
    async collect() {
      const current = await read().catch(() => undefined);
      if (current) this.set(current.oldestAgeMs / 1000);
    },
  });
}
