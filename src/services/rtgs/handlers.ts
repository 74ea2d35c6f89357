import type { Logger } from 'pino';
import type { Clock } from '../../backbone/clock/clock.ts';
import { EventFailure, type BatchEventHandler, type ConsumedEvent } from '../../backbone/consumer/handler.ts';
import { permanentError } from '../../backbone/errors.ts';
import type { PaymentOrder } from '../../contracts/payment.ts';
import type { RtgsSubmitted } from '../../contracts/events.ts';
import { isEventOf } from '../../contracts/topic-payloads.ts';
import { PaymentEventTypes, PaymentTopics } from '../../contracts/topics.ts';
import { buildPacs008, Iso20022BuildError } from '../../contracts/iso20022/pacs008.ts';
import { Iso20022Messages, type XsdValidator } from '../../contracts/iso20022/xsd-validator.ts';
import { isUetr, max35Id } from '../../contracts/iso20022/identifiers.ts';
import { RtgsNetworkError, type RtgsNetworkClient } from './network-client.ts';
import { findSubmissions, insertSubmissions, type NewSubmission } from './submissions.ts';
import { applyStatusReport, type StatusApplierDeps } from './status-applier.ts';
import { TransactionStatusCodes, type PaymentStatusReport } from '../../contracts/iso20022/pacs002.ts';

import type { RtgsMetrics } from './metrics.ts';

export interface SubmitHandlerDeps {
  clock: Clock;
  logger: Logger;
  network: RtgsNetworkClient;
  validator: XsdValidator;
  metrics: RtgsMetrics;
  /** Applies the rejection of a pacs.008 the network refused outright (see below). */
  applier: StatusApplierDeps;
}

export interface SubmitHandlerOptions {
  instructingAgentBic: string;
  instructedAgentBic: string;
  validateOutgoing: boolean;
  /** When the status chaser first asks about a submission that got no answer. */
  firstCheckAfterMs: number;
}

/**
 * The gateway's consumer of `payments.reserved.v1`, for a batch of payments at a time. For each
 * RTGS payment it builds the pacs.008, validates it against the XSD, records the submission and
 * emits `rtgs.submitted.v1`, in the batch's transaction (one insert for the batch); the pacs.008s
 * are sent to the network (UETR as the idempotency key) once that transaction has committed.
 *
 * Why after the commit: the network answers asynchronously, by a callback that refers to the
 * UETR. Sent from inside the transaction, the answer could arrive before the submission is
 * visible, be refused as unknown and be retried later (seconds, under load), and a transaction
 * would stay open across network calls. Sent after it, the answer always finds its submission.
 * A send that fails (network down, circuit open, a crash right after the commit) leaves the
 * submission `submitted` with no answer: the status chaser asks the network about it after
 * `firstCheckAfterMs` and sends the stored pacs.008 again if the network does not know the UETR.
 * A pacs.008 the network refuses outright (4xx) is recorded as rejected with reason NARR, so the
 * ledger releases the reservation; it would never settle.
 *
 * Errors in the transaction: a payment that cannot be expressed as a valid pacs.008 →
 * `permanentError` (dead letter, reservation kept for an operator).
 */
export function createSubmitHandler(deps: SubmitHandlerDeps, options: SubmitHandlerOptions): BatchEventHandler {
  return async (events, context) => {
    const rtgs = events.flatMap((event, index) => {
      if (!isEventOf(event, PaymentTopics.reserved))
        throw new EventFailure(index, new Error(`rtgs gateway: no handler for topic ${event.topic}`));
      return event.payload.route === 'RTGS' ? [{ event, index, payment: event.payload.payment }] : [];
    });
    if (rtgs.length === 0) return;
    const existing = await findSubmissions(
      context.tx,
      rtgs.map(({ payment }) => payment.uetr),
    );
    const nowMs = deps.clock.nowMs();
    const fresh: NewSubmission[] = [];
    for (const { event, index, payment } of rtgs) {
      try {
        if (!isUetr(payment.uetr)) throw permanentError('the payment has no valid UETR (UUIDv4, lower case)');
        const known = existing.get(payment.uetr);
        if (known) {
          if (known !== payment.paymentId) throw permanentError('this UETR was already submitted for another payment');
          continue; // recorded before (the event was delivered twice)
        }
        if (fresh.some((submission) => submission.uetr === payment.uetr)) throw permanentError('this UETR is in the batch twice');
        fresh.push(await submissionOf(event, payment, nowMs));
      } catch (error) {
        throw new EventFailure(index, error);
      }
      const submitted: RtgsSubmitted = {
        paymentId: payment.paymentId,
        uetr: payment.uetr,
        debtorAccount: payment.debtor.account,
        messageId: max35Id(payment.uetr),
      };
      context.emit(event, {
        topic: PaymentTopics.rtgsSubmitted,
        eventType: PaymentEventTypes[PaymentTopics.rtgsSubmitted],
        key: payment.debtor.account,
        payload: submitted,
      });
    }
    await insertSubmissions(context.tx, fresh);
    if (fresh.length > 0) context.afterCommit(() => sendAll(fresh));
  };

  async function submissionOf(event: ConsumedEvent, payment: PaymentOrder, nowMs: number): Promise<NewSubmission> {
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
    const validation = options.validateOutgoing
      ? await deps.validator.validate(Iso20022Messages.pacs008, pacs008)
      : { valid: true, errors: [] };
    if (!validation.valid)
      throw permanentError(`the pacs.008 does not validate against its XSD; invalid elements: ${invalidElements(validation.errors)}`);
    return {
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
    };
  }

  async function sendAll(submissions: readonly NewSubmission[]): Promise<void> {
    await Promise.all(submissions.map((submission) => send(submission)));
  }

  /** Sends one recorded pacs.008; never throws (what fails is the chaser's to finish). */
  async function send(submission: NewSubmission): Promise<void> {
    const log = deps.logger.child({ correlationId: submission.correlationId, paymentId: submission.paymentId, uetr: submission.uetr });
    try {
      const outcome = await deps.network.deliverPacs008(submission.uetr, submission.pacs008);
      deps.metrics.submissions.inc({ outcome });
      log.debug({ outcome }, 'pacs.008 sent to the RTGS network');
    } catch (error) {
      if (error instanceof RtgsNetworkError && !error.retryable) {
        deps.metrics.submissions.inc({ outcome: 'refused' });
        log.error({ code: error.code, status: error.status }, 'the RTGS network refused the pacs.008; recording it as rejected');
        await applyStatusReport(deps.applier, refusal(submission, error, deps.clock.nowMs()), 'submit-refused').catch((failure: unknown) =>
          log.error({ err: failure }, 'recording the refusal failed; the status chaser will ask again'),
        );
        return;
      }
      deps.metrics.submissions.inc({ outcome: 'failed' });
      const code = error instanceof RtgsNetworkError ? error.code : 'UNEXPECTED';
      log.warn({ code }, `sending the pacs.008 failed; the status chaser sends it again within ${options.firstCheckAfterMs} ms`);
    }
  }
}

/** A pacs.002-shaped rejection for a pacs.008 the network refused at the door. */
function refusal(submission: NewSubmission, error: RtgsNetworkError, nowMs: number): PaymentStatusReport {
  return {
    messageId: `REFUSED-${submission.messageId}`.slice(0, 35),
    createdAt: new Date(nowMs).toISOString(),
    transactions: [
      {
        uetr: submission.uetr,
        status: TransactionStatusCodes.RJCT,
        reasonCode: 'NARR',
        reasonText: `the RTGS network refused the pacs.008 (HTTP ${error.status ?? 'error'})`,
      },
    ],
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
