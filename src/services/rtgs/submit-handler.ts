import type { Logger } from 'pino';
import type { Clock } from '../../backbone/clock/clock.ts';
import type { EventHandler } from '../../backbone/consumer/handler.ts';
import { permanentError, transientError } from '../../backbone/errors.ts';
import type { PaymentReserved, RtgsSubmitted } from '../../contracts/events.ts';
import { PaymentEventTypes, PaymentTopics } from '../../contracts/topics.ts';
import { buildPacs008, Iso20022BuildError } from './iso20022/pacs008.ts';
import { Iso20022Messages, type XsdValidator } from './iso20022/xsd-validator.ts';
import { isUetr, max35Id } from './iso20022/identifiers.ts';
import { RtgsNetworkError, type RtgsNetworkClient } from './network-client.ts';
import { findSubmission, insertSubmission } from './submissions.ts';
import type { RtgsMetrics } from './metrics.ts';

export interface SubmitHandlerDeps {
  clock: Clock;
  logger: Logger;
  network: RtgsNetworkClient;
  validator: XsdValidator;
  metrics: RtgsMetrics;
}

export interface SubmitHandlerOptions {
  instructingAgentBic: string;
  instructedAgentBic: string;
  validateOutgoing: boolean;
  /** When the status chaser first asks about a submission that got no answer. */
  firstCheckAfterMs: number;
}

/**
 * The gateway's consumer of `payments.reserved.v1`: for an RTGS payment, builds the pacs.008,
 * validates it against the XSD, records the submission and sends it to the network (UETR as the
 * idempotency key), then emits `rtgs.submitted.v1` — all in the batch's transaction, so the row
 * and the event exist if and only if the consumer's position moved past the payment.
 *
 * A handler may run again for the same event (a batch rolled back and re-run): the network
 * deduplicates by UETR, and a payment whose submission is already recorded is skipped.
 *
 * Errors: a network that is down, slow or behind an open circuit → `transientError` (retried
 * through the retry tiers); a payment that cannot be expressed as a valid pacs.008, or that the
 * network refuses (4xx) → `permanentError` (dead letter, reservation kept for an operator).
 */
export function createSubmitHandler(deps: SubmitHandlerDeps, options: SubmitHandlerOptions): EventHandler {
  return async (event, context) => {
    const { payment, route } = event.payload as PaymentReserved;
    if (route !== 'RTGS') return;
    const log = deps.logger.child({ paymentId: payment.paymentId, uetr: payment.uetr });
    if (!isUetr(payment.uetr)) throw permanentError('the payment has no valid UETR (UUIDv4, lower case)');

    const existing = await findSubmission(context.tx, payment.uetr);
    if (existing) {
      if (existing.paymentId !== payment.paymentId) throw permanentError('this UETR was already submitted for another payment');
      log.debug('already submitted; skipped');
      return;
    }

    const nowMs = deps.clock.nowMs();
    const messageId = max35Id(payment.uetr);
    let pacs008: string;
    try {
      pacs008 = buildPacs008({
        messageId,
        createdAt: new Date(nowMs).toISOString(),
        settlementDate: new Date(nowMs).toISOString().slice(0, 10),
        instructingAgentBic: options.instructingAgentBic,
        instructedAgentBic: options.instructedAgentBic,
        payment,
      });
    } catch (error) {
      if (error instanceof Iso20022BuildError) throw permanentError(`cannot build the pacs.008: ${error.message}`, error);
      throw error;
    }
    const validation = options.validateOutgoing ? await deps.validator.validate(Iso20022Messages.pacs008, pacs008) : { valid: true, errors: [] };
    if (!validation.valid) throw permanentError(`the pacs.008 does not validate against its XSD; invalid elements: ${invalidElements(validation.errors)}`);

    await insertSubmission(context.tx, {
      uetr: payment.uetr,
      paymentId: payment.paymentId,
      debtorAccount: payment.debtor.account,
      messageId,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
      pacs008,
      correlationId: event.envelope.correlationId,
      causeEventId: event.envelope.eventId,
      traceparent: event.envelope.traceparent || null,
      submittedAt: new Date(nowMs),
      nextCheckAt: new Date(nowMs + options.firstCheckAfterMs),
    });

    let outcome: Awaited<ReturnType<RtgsNetworkClient['deliverPacs008']>>;
    try {
      outcome = await deps.network.deliverPacs008(payment.uetr, pacs008);
    } catch (error) {
      if (error instanceof RtgsNetworkError && error.retryable) throw transientError(`RTGS network: ${error.message}`, error);
      if (error instanceof RtgsNetworkError) throw permanentError(`RTGS network: ${error.message}`, error);
      throw error;
    }
    deps.metrics.submissions.inc({ outcome });
    log.info({ outcome }, 'pacs.008 submitted to the RTGS network');

    const submitted: RtgsSubmitted = { paymentId: payment.paymentId, uetr: payment.uetr, debtorAccount: payment.debtor.account, messageId };
    context.emit({ topic: PaymentTopics.rtgsSubmitted, eventType: PaymentEventTypes[PaymentTopics.rtgsSubmitted], key: payment.debtor.account, payload: submitted });
  };
}

/**
 * The element names libxml2 complains about, never the values: `XsdValidator` already replaces
 * the values it knows libxml2 quotes, but libxml2's wording may change, and this text ends up in
 * logs and dead-letter headers, where a name or an IBAN must never appear.
 */
export function invalidElements(errors: readonly string[]): string {
  const names = new Set<string>();
  for (const error of errors) for (const match of error.matchAll(/Element '(?:\{[^}]*\})?([A-Za-z0-9]+)'/g)) names.add(match[1]!);
  return names.size > 0 ? [...names].join(', ') : 'unknown';
}
