import type { EventHandler } from '../../backbone/consumer/handler.ts';
import type { PaymentService, ServiceDeps } from '../service.ts';
import { PaymentEventTypes, PaymentTopics } from '../../contracts/topics.ts';
import type { PaymentRejected, PaymentSubmitted, PaymentValidated } from '../../contracts/events.ts';
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
 * Validation: the first consumer of a submitted payment. Reads the debtor account from the
 * ledger's accounts (same database, read-only) and publishes validated or rejected.
 */
export function createValidationService(deps: ServiceDeps, options: ValidationServiceOptions = {}): PaymentService {
  const limits = options.limits ?? defaultValidationLimits;
  const outputTopic = options.outputTopic ?? PaymentTopics.validated;
  const handler: EventHandler = async (event, context) => {
    const { payment } = event.payload as PaymentSubmitted;
    const result = await context.tx.query<{ currency: string; status: 'open' | 'closed' }>(
      `select currency, status from ledger_accounts where account_id = $1 and kind = 'customer'`,
      [payment.debtor.account],
    );
    const debtor: DebtorAccountView | undefined = result.rows[0];
    const decision = validatePayment(payment, debtor, limits);
    if (decision.kind === 'valid') {
      context.emit({ topic: outputTopic, eventType: PaymentEventTypes[PaymentTopics.validated], key: payment.debtor.account, payload: { payment } satisfies PaymentValidated });
    } else {
      const payload: PaymentRejected = { paymentId: payment.paymentId, debtorAccount: payment.debtor.account, reasonCode: decision.reasonCode, reason: decision.reason };
      context.emit({ topic: PaymentTopics.rejected, eventType: PaymentEventTypes[PaymentTopics.rejected], key: payment.debtor.account, payload });
    }
  };
  return {
    name: 'validation',
    migrations: [],
    consumers: [{ name: 'validation', topics: [PaymentTopics.submitted], handler, retry: { mode: 'non-blocking', ...(options.retryDelaysMs ? { delaysMs: options.retryDelaysMs } : {}) } }],
  };
}

export { validatePayment } from './domain/validate-payment.ts';
