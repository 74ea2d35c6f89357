import type { ConsumedEvent, EventHandler, HandlerContext } from '../../backbone/consumer/handler.ts';
import type { IdGenerator } from '../../backbone/clock/clock.ts';
import type { NewEvent } from '../../backbone/envelope/event-encoder.ts';
import { permanentError } from '../../backbone/errors.ts';
import { PaymentEventTypes, PaymentTopics, type PaymentTopic } from '../../contracts/topics.ts';
import type { PaymentCleared, PaymentHeldForReview, PaymentInitiated, PaymentScored } from '../../contracts/events.ts';
import { openCase } from '../compliance-cases/index.ts';
import type { FraudRulesConfig } from './domain/config.ts';
import { evolve, scorePayment, type PaymentScore } from './domain/rules.ts';
import { lockAccountState, recordScore, saveAccountState, wasScored } from './state-store.ts';
import type { FraudMetrics } from './metrics.ts';

/** Who clears a payment that scored below the review threshold (`PaymentCleared.clearedBy`). */
export const clearedByFraudScoring = 'fraud-scoring';

/**
 * The fraud scoring consumer: scores each initiated payment against its debtor account's risk
 * state and always emits `payments.scored.v1`; below the review threshold it also emits
 * `payments.cleared.v1`, at or above it opens a FRAUD case in the compliance queue (whose approval
 * publishes the cleared event) and emits `payments.held.v1`.
 *
 * It runs in blocking-retry mode: velocity depends on the order of an account's payments, and every
 * event of an account is on one partition, so none may overtake a failing one. The account's state
 * row is locked, read, evolved and written in the batch's transaction: exactly once with the batch.
 */
export function fraudScoringHandler(options: { inputTopic: string; config: FraudRulesConfig; ids: IdGenerator; metrics: FraudMetrics }): EventHandler {
  return async (event, context) => {
    if (event.topic !== options.inputTopic) throw new Error(`fraud scoring: no handler for topic ${event.topic}`);
    await score(event as ConsumedEvent<PaymentInitiated>, context, options);
  };
}

async function score(event: ConsumedEvent<PaymentInitiated>, context: HandlerContext, options: { config: FraudRulesConfig; ids: IdGenerator; metrics: FraudMetrics }): Promise<void> {
  const { tx } = context;
  const { payment, corridorCode } = event.payload;
  const account = payment.debtor.account;
  // Scoring time is when the payment was initiated, not when we read it: a replay or a consumer
  // catching up after an outage scores exactly as it would have on time. A missing header reads
  // as the epoch, which would score nonsense, so it is refused like a malformed one.
  const nowMs = Date.parse(event.envelope.occurredAt);
  if (!Number.isFinite(nowMs) || nowMs <= 0) throw permanentError(`fraud scoring: event ${event.envelope.eventId} has no valid occurred-at (${event.envelope.occurredAt})`);

  const state = await lockAccountState(tx, account);
  if (await wasScored(tx, payment.paymentId)) return; // a second event for the same payment: scored once, its events already out

  const result = scorePayment(state, payment, { nowMs, corridorCode, config: options.config });
  let caseId: string | null = null;
  if (result.decision === 'REVIEW') {
    caseId = options.ids.eventId();
    const opened = await openCase(tx, {
      caseId,
      paymentId: payment.paymentId,
      debtorAccount: account,
      correlationId: event.envelope.correlationId,
      stage: 'FRAUD',
      reason: reviewReason(result, options.config),
      evidence: { score: result.score, reviewThreshold: options.config.reviewThreshold, reasons: result.reasons, corridorCode, scoredAt: event.envelope.occurredAt },
      onApprove: newEvent<PaymentCleared>(PaymentTopics.cleared, account, { payment, corridorCode, clearedBy: `case:${caseId}` }),
      amountMinor: payment.amountMinor,
      currency: payment.currency,
    });
    // A FRAUD case already exists for this payment, so it was scored and held before (its score
    // row is gone): holding it again would put a second case id on the events.
    if (!opened) return;
  }

  await saveAccountState(tx, account, evolve(state, { payment, atMs: nowMs, decision: result.decision }, options.config));
  await recordScore(tx, { paymentId: payment.paymentId, debtorAccount: account, eventId: event.envelope.eventId, score: result.score, decision: result.decision, reasons: result.reasons, caseId, scoredAt: event.envelope.occurredAt });

  context.emit(newEvent<PaymentScored>(PaymentTopics.scored, account, { payment, corridorCode, ...result }));
  if (caseId === null) {
    context.emit(newEvent<PaymentCleared>(PaymentTopics.cleared, account, { payment, corridorCode, clearedBy: clearedByFraudScoring }));
  } else {
    context.emit(newEvent<PaymentHeldForReview>(PaymentTopics.held, account, { paymentId: payment.paymentId, debtorAccount: account, caseId, stage: 'FRAUD', reason: reviewReason(result, options.config) }));
  }
  options.metrics.decisions.inc({ decision: result.decision });
  for (const reason of result.reasons) options.metrics.ruleHits.inc({ rule: reason.rule });
}

function reviewReason(result: PaymentScore, config: FraudRulesConfig): string {
  return `fraud score ${result.score} (review at ${config.reviewThreshold}): ${result.reasons.map((reason) => `${reason.rule} +${reason.points}`).join(', ')}`;
}

function newEvent<Payload>(topic: PaymentTopic, key: string, payload: Payload): NewEvent {
  return { topic, eventType: PaymentEventTypes[topic], key, payload };
}
