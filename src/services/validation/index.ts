import { EventFailure, type BatchEventHandler } from '../../backbone/consumer/handler.ts';
import type { PaymentService, ServiceDeps } from '../service.ts';
import { PaymentEventTypes, PaymentTopics } from '../../contracts/topics.ts';
import type { PaymentRejected, PaymentValidated } from '../../contracts/events.ts';
import { isEventOf } from '../../contracts/topic-payloads.ts';
import { customerAccounts } from '../ledger/queries.ts';
import { validatePayment, type DebtorAccountView, type ValidationLimits } from './domain/validate-payment.ts';

export interface ValidationServiceOptions {
  /** Where valid payments go: `payments.validated.v1`. */
  outputTopic?: string;
  limits?: ValidationLimits;
  retryDelaysMs?: readonly number[];
}

/** Default single-payment limits: 10 million in the major unit of the main currencies. */
export const defaultValidationLimits: ValidationLimits = {
  maxAmountMinorByCurrency: new Map([
    ['EUR', 10_000_000_00n],
    ['USD', 10_000_000_00n],
    ['GBP', 10_000_000_00n],
    ['CHF', 10_000_000_00n],
  ]),
};

/**
 * Validation: the first consumer of a submitted payment. Reads the debtor account through the
 * ledger's public reads (`ledger/queries.ts`: same database, read-only) and publishes validated or
 * rejected.
 */
export function createValidationService(deps: ServiceDeps, options: ValidationServiceOptions = {}): PaymentService {
  const limits = options.limits ?? defaultValidationLimits;
  const outputTopic = options.outputTopic ?? PaymentTopics.validated;
  // One lookup of the batch's debtor accounts, then a pure decision per payment.
  const batchHandler: BatchEventHandler = async (events, context) => {
    const orders = events.map((event, index) => {
      if (!isEventOf(event, PaymentTopics.submitted))
        throw new EventFailure(index, new Error(`validation: no handler for topic ${event.topic}`));
      return event.payload.payment;
    });
    const debtors: ReadonlyMap<string, DebtorAccountView> = await customerAccounts(
      context.tx,
      orders.map((payment) => payment.debtor.account),
    );
    for (const [index, event] of events.entries()) {
      const payment = orders[index]!;
      const decision = validatePayment(payment, debtors.get(payment.debtor.account), limits);
      if (decision.kind === 'valid') {
        context.emit(event, {
          topic: outputTopic,
          eventType: PaymentEventTypes[PaymentTopics.validated],
          key: payment.debtor.account,
          payload: { payment } satisfies PaymentValidated,
        });
      } else {
        const payload: PaymentRejected = {
          paymentId: payment.paymentId,
          debtorAccount: payment.debtor.account,
          reasonCode: decision.reasonCode,
          reason: decision.reason,
        };
        context.emit(event, {
          topic: PaymentTopics.rejected,
          eventType: PaymentEventTypes[PaymentTopics.rejected],
          key: payment.debtor.account,
          payload,
        });
      }
    }
  };
  return {
    name: 'validation',
    migrations: [],
    consumers: [
      {
        name: 'validation',
        topics: [PaymentTopics.submitted],
        batchHandler,
        retry: { mode: 'non-blocking', ...(options.retryDelaysMs ? { delaysMs: options.retryDelaysMs } : {}) },
      },
    ],
  };
}

export { validatePayment } from './domain/validate-payment.ts';
