import { formatDecimal, minorUnitsOf } from '../../contracts/money.ts';

/**
 * The text of an email or SMS about a payment event. Pure: it reads the payload as stored (JSON,
 * amounts as decimal strings of minor units). It says what happened to which payment and for how
 * much; it repeats no account number, so a message read over someone's shoulder leaks little.
 */
export function renderMessage(eventType: string, payload: unknown): { subject: string; text: string } {
  const data = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const payment = typeof data.paymentId === 'string' ? data.paymentId : 'your payment';
  const amount = amountOf(data);
  const reason = typeof data.reasonCode === 'string' ? ` (reason: ${data.reasonCode})` : '';
  switch (eventType) {
    case 'PaymentCompleted':
      return { subject: 'Payment completed', text: `Payment ${payment}${amount} has been completed.` };
    case 'PaymentFailed':
      return { subject: 'Payment failed', text: `Payment ${payment}${amount} has failed${reason}. No funds have been taken.` };
    case 'PaymentRejected':
      return { subject: 'Payment rejected', text: `Payment ${payment} was rejected${reason}.` };
    default:
      return { subject: 'Payment update', text: `There is an update on payment ${payment}: ${eventType}.` };
  }
}

function amountOf(data: Record<string, unknown>): string {
  const { amountMinor, currency } = data;
  if (
    typeof amountMinor !== 'string' ||
    !/^-?\d+$/.test(amountMinor) ||
    typeof currency !== 'string' ||
    minorUnitsOf(currency) === undefined
  )
    return '';
  return ` of ${formatDecimal(BigInt(amountMinor), currency)} ${currency}`;
}
