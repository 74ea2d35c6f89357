import type { EventHandler } from '../../backbone/consumer/handler.ts';
import { PaymentTopics } from '../../contracts/topics.ts';
import type { PaymentStatus } from '../../contracts/payment.ts';

/**
 * The payment's status as the API shows it, projected from the payment events. Events of one
 * payment arrive on different topics, so they may be seen out of order: a status only moves
 * forward (by rank), and a terminal status is final. Every event joins the payment's timeline.
 */
export const statusRank: Record<PaymentStatus, number> = {
  RECEIVED: 0,
  VALIDATED: 10,
  HELD_FOR_REVIEW: 15,
  RESERVED: 20,
  SUBMITTED: 30,
  COMPLETED: 100,
  REJECTED: 100,
  FAILED: 100,
  BLOCKED: 100,
};

/** Which status an event of each topic means; topics absent here only join the timeline. */
export const defaultStatusByTopic: ReadonlyMap<string, PaymentStatus> = new Map<string, PaymentStatus>([
  [PaymentTopics.submitted, 'RECEIVED'],
  [PaymentTopics.validated, 'VALIDATED'],
  [PaymentTopics.rejected, 'REJECTED'],
  [PaymentTopics.held, 'HELD_FOR_REVIEW'],
  [PaymentTopics.blocked, 'BLOCKED'],
  [PaymentTopics.reserved, 'RESERVED'],
  [PaymentTopics.rtgsSubmitted, 'SUBMITTED'],
  [PaymentTopics.completed, 'COMPLETED'],
  [PaymentTopics.failed, 'FAILED'],
]);

export function statusProjectionHandler(statusByTopic: ReadonlyMap<string, string>, rankOf: Readonly<Record<string, number>>): EventHandler {
  return async (event, { tx }) => {
    const payload = event.payload as { paymentId?: string; payment?: { paymentId: string }; reasonCode?: string; reason?: string };
    const paymentId = payload.payment?.paymentId ?? payload.paymentId;
    if (!paymentId) throw new Error(`payment event on ${event.topic} without a paymentId`);
    await tx.query(
      `insert into payment_timeline (payment_id, event_id, event_type, topic, occurred_at) values ($1, $2, $3, $4, $5) on conflict do nothing`,
      [paymentId, event.envelope.eventId, event.envelope.eventType, event.topic, event.envelope.occurredAt],
    );
    const status = statusByTopic.get(event.topic);
    if (status === undefined) return;
    const rank = rankOf[status];
    if (rank === undefined) throw new Error(`status ${status} has no rank`);
    await tx.query(
      `update payments set status = $2, status_rank = $3, reason_code = coalesce($4, reason_code), reason = coalesce($5, reason), updated_at = now()
       where payment_id = $1 and status_rank < $3`,
      [paymentId, status, rank, payload.reasonCode ?? null, payload.reason ?? null],
    );
  };
}
