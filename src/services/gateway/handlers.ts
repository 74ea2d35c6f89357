import { EventFailure, type BatchEventHandler } from '../../backbone/consumer/handler.ts';
import { PaymentTopics } from '../../contracts/topics.ts';
import { isPaymentEvent, paymentIdOf } from '../../contracts/topic-payloads.ts';
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

/**
 * The projection for a batch of events, in two statements: every event joins its payment's
 * timeline (one insert), and each payment of the batch moves to the highest-ranked status among
 * its events, if that is above its current one (one update). The same result as applying the
 * events one by one: a status never moves back, and of two events of equal rank the first wins.
 */
export function statusProjectionHandler(
  statusByTopic: ReadonlyMap<string, string>,
  rankOf: Readonly<Record<string, number>>,
): BatchEventHandler {
  return async (events, { tx }) => {
    const timeline: { paymentId: string; eventId: string; eventType: string; topic: string; occurredAt: string }[] = [];
    const moves = new Map<string, { status: string; rank: number; reasonCode: string | null; reason: string | null }>();
    for (const [index, event] of events.entries()) {
      if (!isPaymentEvent(event)) throw new EventFailure(index, new Error(`status projection: ${event.topic} is not a payment topic`));
      const { payload } = event;
      const paymentId = paymentIdOf(payload);
      if (!paymentId) throw new EventFailure(index, new Error(`payment event on ${event.topic} without a paymentId`));
      timeline.push({
        paymentId,
        eventId: event.envelope.eventId,
        eventType: event.envelope.eventType,
        topic: event.topic,
        occurredAt: event.envelope.occurredAt,
      });
      const status = statusByTopic.get(event.topic);
      if (status === undefined) continue;
      const rank = rankOf[status];
      if (rank === undefined) throw new EventFailure(index, new Error(`status ${status} has no rank`));
      const earlier = moves.get(paymentId);
      if (!earlier || earlier.rank < rank)
        moves.set(paymentId, {
          status,
          rank,
          reasonCode: 'reasonCode' in payload ? payload.reasonCode : null,
          reason: 'reason' in payload ? payload.reason : null,
        });
    }
    await tx.query(
      `insert into payment_timeline (payment_id, event_id, event_type, topic, occurred_at)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[]) on conflict do nothing`,
      [
        timeline.map((t) => t.paymentId),
        timeline.map((t) => t.eventId),
        timeline.map((t) => t.eventType),
        timeline.map((t) => t.topic),
        timeline.map((t) => t.occurredAt),
      ],
    );
    if (moves.size === 0) return;
    // In payment id order, the order every projector locks the rows in.
    const ordered = [...moves].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await tx.query(
      `update payments p set status = m.status, status_rank = m.rank, reason_code = coalesce(m.reason_code, p.reason_code), reason = coalesce(m.reason, p.reason), updated_at = now()
         from (select * from unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[]) as m(payment_id, status, rank, reason_code, reason)) m
        where p.payment_id = m.payment_id and p.status_rank < m.rank`,
      [
        ordered.map(([id]) => id),
        ordered.map(([, m]) => m.status),
        ordered.map(([, m]) => m.rank),
        ordered.map(([, m]) => m.reasonCode),
        ordered.map(([, m]) => m.reason),
      ],
    );
  };
}
