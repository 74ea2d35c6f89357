/**
 * The FATF Travel Rule (Recommendation 16): above a threshold, a transfer must carry who sends and
 * who receives it. Here both parties need a name, an account, and one of: a postal address, a
 * national identifier, or a date *and* place of birth. A pure function of the payment and the
 * thresholds: which information is missing, in words an operator and a customer can act on.
 */
import type { Party, PaymentOrder } from '../../../contracts/payment.ts';
import { formatDecimal } from '../../../contracts/money.ts';

export interface TravelRuleResult {
  /** The amount was above the currency's threshold, so the information was checked. */
  applied: boolean;
  /** The threshold in force for the currency, minor units. */
  thresholdMinor: bigint;
  /** What is missing, e.g. `creditor: a postal address, a national id, or a date and place of birth`. Empty when complete or not applied. */
  missing: string[];
}

export function checkTravelRule(
  payment: Pick<PaymentOrder, 'amountMinor' | 'currency' | 'debtor' | 'creditor'>,
  thresholdMinorOf: (currency: string) => bigint,
): TravelRuleResult {
  const thresholdMinor = thresholdMinorOf(payment.currency);
  if (payment.amountMinor <= thresholdMinor) return { applied: false, thresholdMinor, missing: [] };
  const missing = [...missingOf('debtor', payment.debtor), ...missingOf('creditor', payment.creditor)];
  return { applied: true, thresholdMinor, missing };
}

/** The reason a payment is rejected for, naming the amount, the threshold and everything missing. */
export function travelRuleReason(payment: Pick<PaymentOrder, 'amountMinor' | 'currency'>, result: TravelRuleResult): string {
  const amount = `${payment.currency} ${formatDecimal(payment.amountMinor, payment.currency)}`;
  const threshold = `${payment.currency} ${formatDecimal(result.thresholdMinor, payment.currency)}`;
  return `Travel Rule: ${amount} is above ${threshold}, and the payment lacks originator/beneficiary information: ${result.missing.join('; ')}`;
}

function missingOf(role: 'debtor' | 'creditor', party: Party): string[] {
  const missing: string[] = [];
  if (!party.name?.trim()) missing.push(`${role}: a name`);
  if (!party.account?.trim()) missing.push(`${role}: an account`);
  const hasAddress = Boolean(party.postalAddress?.townName && party.postalAddress.country);
  const hasNationalId = Boolean(party.nationalId?.id);
  const hasBirth = Boolean(party.dateOfBirth && party.placeOfBirth?.city && party.placeOfBirth.country);
  if (!hasAddress && !hasNationalId && !hasBirth) {
    const partial =
      party.dateOfBirth && !party.placeOfBirth
        ? ' (a date of birth without a place of birth is not enough)'
        : party.placeOfBirth && !party.dateOfBirth
          ? ' (a place of birth without a date of birth is not enough)'
          : '';
    missing.push(`${role}: a postal address, a national id, or a date and place of birth${partial}`);
  }
  return missing;
}
