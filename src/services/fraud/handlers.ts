import { EventFailure, type BatchEventHandler, type BatchHandlerContext } from '../../backbone/consumer/handler.ts';
import type { IdGenerator } from '../../backbone/clock/clock.ts';
import type { NewEvent } from '../../backbone/envelope/event-encoder.ts';
import { permanentError } from '../../backbone/errors.ts';
import { PaymentEventTypes, PaymentTopics, type PaymentTopic } from '../../contracts/topics.ts';
import type { PaymentCleared, PaymentHeldForReview, PaymentInitiated, PaymentScored } from '../../contracts/events.ts';
import { isEventOf, type PaymentEvent, type TopicsCarrying } from '../../contracts/topic-payloads.ts';
import { openOrAttachToAccountCase } from '../compliance-cases/index.ts';
import type { FraudRulesConfig } from './domain/config.ts';
import { evolve, scorePayment, type AccountRiskState, type PaymentScore } from './domain/rules.ts';
import { lockAccountStates, recordScores, saveAccountStates, scoredPayments, type ScoreRecord } from './state-store.ts';
import type { FraudMetrics } from './metrics.ts';

/** A topic the fraud scoring may read: one whose events carry the payment order and its corridor. */
export type FraudInputTopic = TopicsCarrying<Pick<PaymentInitiated, 'payment' | 'corridorCode'>>;

/** Who clears a payment that scored below the review threshold (`PaymentCleared.clearedBy`). */
export const clearedByFraudScoring = 'fraud-scoring';

/**
 * The fraud scoring consumer: scores each initiated payment against its debtor account's risk
 * state and always emits `payments.scored.v1`; below the review threshold it also emits
 * `payments.cleared.v1`, at or above it opens a FRAUD case in the compliance queue (whose approval
 * publishes the cleared event) and emits `payments.held.v1`.
 *
 * It runs in blocking-retry mode: velocity depends on the order of an account's payments, and every
 * event of an account is on one partition, so none may overtake a failing one. The batch's account
 * state rows are locked and read at once, evolved in memory event by event in order, and written at
 * once with the batch's scores, in the batch's transaction: exactly once with the batch.
 */
export function fraudScoringHandler(options: {
  inputTopic: FraudInputTopic;
  config: FraudRulesConfig;
  ids: IdGenerator;
  metrics: FraudMetrics;
}): BatchEventHandler {
  return async (events, context) => {
    const initiated = events.map((event, index) => {
      if (!isEventOf(event, options.inputTopic))
        throw new EventFailure(index, new Error(`fraud scoring: no handler for topic ${event.topic}`));
      return event;
    });
    const states = await lockAccountStates(
      context.tx,
      initiated.map((event) => event.payload.payment.debtor.account),
    );
    const scored = await scoredPayments(
      context.tx,
      initiated.map((event) => event.payload.payment.paymentId),
    );
    const changed = new Map<string, AccountRiskState>();
    const records: ScoreRecord[] = [];
    for (const [index, event] of initiated.entries()) {
      try {
        await score(event, context, options, { states, scored, changed, records });
      } catch (error) {
        throw new EventFailure(index, error);
      }
    }
    await saveAccountStates(context.tx, changed);
    await recordScores(context.tx, records);
  };
}

/** The batch's locked account states, the payments scored so far, and what the batch writes. */
interface ScoringBatch {
  states: Map<string, AccountRiskState>;
  scored: Set<string>;
  changed: Map<string, AccountRiskState>;
  records: ScoreRecord[];
}

async function score(
  event: PaymentEvent<FraudInputTopic>,
  context: BatchHandlerContext,
  options: { config: FraudRulesConfig; ids: IdGenerator; metrics: FraudMetrics },
  batch: ScoringBatch,
): Promise<void> {
  const { tx } = context;
  const { payment, corridorCode } = event.payload;
  const account = payment.debtor.account;
  // Scoring time is when the payment was initiated, not when we read it: a replay or a consumer
  // catching up after an outage scores exactly as it would have on time. A missing header reads
  // as the epoch, which would score nonsense, so it is refused like a malformed one.
  const nowMs = Date.parse(event.envelope.occurredAt);
  if (!Number.isFinite(nowMs) || nowMs <= 0)
    throw permanentError(`fraud scoring: event ${event.envelope.eventId} has no valid occurred-at (${event.envelope.occurredAt})`);

  if (batch.scored.has(payment.paymentId)) return; // a second event for the same payment: scored once, its events already out
  const state = batch.states.get(account)!;

  const result = scorePayment(state, payment, { nowMs, corridorCode, config: options.config });
  let caseId: string | null = null;
  if (result.decision === 'REVIEW') {
    const held = await openOrAttachToAccountCase(tx, {
      caseId: options.ids.eventId(),
      paymentId: payment.paymentId,
      debtorAccount: account,
      correlationId: event.envelope.correlationId,
      stage: 'FRAUD',
      reason: reviewReason(result, options.config),
      evidence: {
        score: result.score,
        reviewThreshold: options.config.reviewThreshold,
        reasons: result.reasons,
        corridorCode,
        scoredAt: event.envelope.occurredAt,
      },
      onApprove: (caseId) =>
        newEvent<PaymentCleared>(PaymentTopics.cleared, account, { payment, corridorCode, clearedBy: `case:${caseId}` }),
      amountMinor: payment.amountMinor,
      currency: payment.currency,
    });
    // The payment is in a FRAUD case already, so it was scored and held before (its score row is
    // gone): holding it again would put a second case id on the events.
    if (held.kind === 'exists') return;
    caseId = held.caseId;
  }

  const next = evolve(state, { payment, atMs: nowMs, decision: result.decision }, options.config);
  batch.states.set(account, next);
  batch.changed.set(account, next);
  batch.scored.add(payment.paymentId);
  batch.records.push({
    paymentId: payment.paymentId,
    debtorAccount: account,
    eventId: event.envelope.eventId,
    score: result.score,
    decision: result.decision,
    reasons: result.reasons,
    caseId,
    scoredAt: event.envelope.occurredAt,
  });

  context.emit(event, newEvent<PaymentScored>(PaymentTopics.scored, account, { payment, corridorCode, ...result }));
  if (caseId === null) {
    context.emit(
      event,
      newEvent<PaymentCleared>(PaymentTopics.cleared, account, { payment, corridorCode, clearedBy: clearedByFraudScoring }),
    );
  } else {
    context.emit(
      event,
      newEvent<PaymentHeldForReview>(PaymentTopics.held, account, {
        paymentId: payment.paymentId,
        debtorAccount: account,
        caseId,
        stage: 'FRAUD',
        reason: reviewReason(result, options.config),
      }),
    );
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
