import type { Logger } from 'pino';
import type { Database } from '../../backbone/storage/database.ts';
import type { Clock, IdGenerator } from '../../backbone/clock/clock.ts';
import { NotifiedLoop } from '../../backbone/concurrency/notified-loop.ts';
import type { BackgroundWorker } from '../service.ts';
import { claimDue, nextDueAtMs, recordOutcome, type AttemptOutcome, type ClaimedDelivery } from './claims.ts';
import { afterFailedAttempt } from './retry-schedule.ts';
import { postWebhook } from './webhook-sender.ts';
import { renderMessage } from './messages.ts';
import { deliveriesChannel } from './migrations.ts';
import type { NotificationProvider } from './provider.ts';
import type { NotificationMetrics } from './metrics.ts';

export interface DeliveryWorkerOptions {
  db: Database;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  metrics: NotificationMetrics;
  provider: NotificationProvider;
  retryDelaysMs: readonly number[];
  /** Longest wait for a webhook's answer. */
  timeoutMs: number;
  /** How long a claim keeps a delivery from other workers; longer than `timeoutMs`. */
  leaseMs: number;
  /** Deliveries claimed and sent concurrently per round. */
  claimBatch: number;
  /** Longest sleep without a wake-up (safety net for a NOTIFY lost while disconnected). */
  idlePollMs: number;
  /** Pause after a round failed (the database is down). */
  failureBackoffMs: number;
}

/**
 * Sends due deliveries: webhooks over HTTP, emails and SMS through the provider; each attempt's
 * outcome is recorded, a failure is retried after the next delay, and after the last it is
 * dead-lettered (kept in the table for operators, see docs/notifications.md).
 *
 * - At least once: a worker that dies after sending and before recording sends again once its
 *   lease runs out; receivers deduplicate on `Paystream-Event-Id`.
 * - Several workers (processes) share the work: claims skip each other's rows.
 * - Wake-ups: a NOTIFY when deliveries are inserted or retried by an operator, and a timer for the
 *   next due retry; no polling in between (beyond `idlePollMs`).
 * - No database transaction is open while a request is in flight: a slow receiver costs a socket,
 *   not a connection (and on PGlite, whose one connection everyone shares, not the whole database).
 *
 * The loop waits in real time; tests on a fake clock call `deliverDue` instead of `start`.
 */
export class DeliveryWorker implements BackgroundWorker {
  readonly name = 'notifications-delivery';
  readonly #options: DeliveryWorkerOptions;
  readonly #loop: NotifiedLoop;

  constructor(options: DeliveryWorkerOptions) {
    this.#options = options;
    this.#loop = new NotifiedLoop({
      db: options.db,
      channel: deliveriesChannel,
      failureBackoffMs: options.failureBackoffMs,
      onError: (error) =>
        options.logger.error(
          { err: { name: (error as Error)?.name, message: (error as Error)?.message } },
          'notification delivery round failed; retrying',
        ),
      round: async () => {
        await this.deliverDue();
        return this.#untilNextDueMs();
      },
    });
  }

  start(): Promise<void> {
    return this.#loop.start();
  }

  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Sends every delivery due now, round by round; returns how many attempts were made. */
  async deliverDue(): Promise<number> {
    let attempts = 0;
    while (!this.#loop.stopping) {
      const claimed = await this.#claim();
      if (claimed.length === 0) break;
      await Promise.all(claimed.map((delivery) => this.#attempt(delivery)));
      attempts += claimed.length;
    }
    return attempts;
  }

  /**
   * Until the next delivery falls due, capped by `idlePollMs`, and at least 10 ms: a due row that
   * another worker is claiming right now is skipped, and must not turn this loop into a spin.
   */
  async #untilNextDueMs(): Promise<number> {
    const dueAtMs = await nextDueAtMs(this.#options.db);
    if (dueAtMs === undefined) return this.#options.idlePollMs;
    return Math.min(Math.max(dueAtMs - this.#options.clock.nowMs(), 10), this.#options.idlePollMs);
  }

  #claim(): Promise<ClaimedDelivery[]> {
    const { db, clock, ids, leaseMs, claimBatch } = this.#options;
    const nowMs = clock.nowMs();
    return claimDue(db, { nowMs, leaseUntilMs: nowMs + leaseMs, limit: claimBatch, claimToken: ids.eventId() });
  }

  async #attempt(delivery: ClaimedDelivery): Promise<void> {
    const { metrics, clock, logger, retryDelaysMs, db } = this.#options;
    const startedAt = performance.now();
    const result = await this.#send(delivery);
    metrics.deliveryDurationSeconds.observe({ channel: delivery.channel }, (performance.now() - startedAt) / 1000);
    const nowMs = clock.nowMs();
    let outcome: AttemptOutcome;
    if (result === 'cancelled') outcome = { kind: 'cancelled' };
    else if (result.ok) outcome = { kind: 'delivered', ...statusOf(result) };
    else {
      const next = afterFailedAttempt(delivery.attempt, retryDelaysMs, nowMs);
      outcome =
        next === 'dead-letter'
          ? { kind: 'dead-letter', error: result.error, ...statusOf(result) }
          : { kind: 'retry', retryAtMs: next.retryAtMs, error: result.error, ...statusOf(result) };
    }
    const recorded = await recordOutcome(db, delivery, outcome, nowMs);
    this.#count(delivery, outcome);
    const fields = {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      channel: delivery.channel,
      attempt: delivery.attempt,
      statusCode: 'statusCode' in outcome ? outcome.statusCode : undefined,
    };
    if (!recorded) logger.warn(fields, 'delivery outcome not recorded: the claim was taken over or the delivery cancelled');
    else if (outcome.kind === 'dead-letter') logger.warn(fields, 'delivery dead-lettered after its last attempt');
    else if (outcome.kind === 'retry')
      logger.info({ ...fields, retryAt: new Date(outcome.retryAtMs).toISOString() }, 'delivery attempt failed; will retry');
  }

  /** One attempt; never throws (a provider's error is the attempt's failure). */
  async #send(
    delivery: ClaimedDelivery,
  ): Promise<{ ok: true; statusCode?: number } | { ok: false; error: string; statusCode?: number } | 'cancelled'> {
    if (delivery.channel === 'webhook') {
      if (!delivery.webhook) return 'cancelled';
      return postWebhook({
        url: delivery.webhook.url,
        secret: delivery.webhook.secret,
        eventId: delivery.eventId,
        body: webhookBody(delivery),
        timestampSeconds: Math.floor(this.#options.clock.nowMs() / 1000),
        timeoutMs: this.#options.timeoutMs,
      });
    }
    try {
      const message = renderMessage(delivery.eventType, JSON.parse(delivery.payloadJson));
      const to = delivery.destination!;
      if (delivery.channel === 'email') await this.#options.provider.sendEmail({ idempotencyKey: delivery.id, to, ...message });
      else await this.#options.provider.sendSms({ idempotencyKey: delivery.id, to, text: message.text });
      return { ok: true };
    } catch (error) {
      return { ok: false, error: `provider error: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500) };
    }
  }

  #count(delivery: ClaimedDelivery, outcome: AttemptOutcome): void {
    const { metrics } = this.#options;
    if (outcome.kind === 'delivered') metrics.count(delivery.channel, 'sent');
    if (outcome.kind === 'retry' || outcome.kind === 'dead-letter') metrics.count(delivery.channel, 'failed');
    if (outcome.kind === 'dead-letter') metrics.count(delivery.channel, 'dead_lettered');
  }
}

/** The webhook body: the envelope fields a receiver needs, and the event's payload as `data`. */
export function webhookBody(event: {
  eventId: string;
  eventType: string;
  occurredAt: string;
  correlationId: string;
  payloadJson: string;
}): string {
  return JSON.stringify({
    eventId: event.eventId,
    eventType: event.eventType,
    occurredAt: event.occurredAt,
    correlationId: event.correlationId,
    data: JSON.parse(event.payloadJson) as unknown,
  });
}

function statusOf(result: { statusCode?: number }): { statusCode?: number } {
  return result.statusCode === undefined ? {} : { statusCode: result.statusCode };
}
