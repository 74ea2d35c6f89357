/**
 * The screening verdict on a payment, a pure function of both parties' screening results and the
 * Travel Rule check. In order:
 *
 * 1. Either party HIGH → `BLOCK` (`payments.blocked.v1`, SANCTIONS_HIT, an AML alert per party
 *    that matched). A sanctions hit outranks everything: the alert must be raised even when the
 *    payment would have been rejected for another reason.
 * 2. Travel Rule applied and information missing → `REJECT` (TRAVEL_RULE_MISSING_INFORMATION).
 * 3. Either party MEDIUM → `HOLD` for a compliance officer (a SCREENING case).
 * 4. Otherwise `PASS` → `payments.initiated.v1`.
 */
import type { RiskBand, ScreeningMatch, ScreeningResult } from '../model.ts';
import type { TravelRuleResult } from './travel-rule.ts';

export type ScreeningOutcome = 'PASS' | 'HOLD' | 'BLOCK' | 'REJECT';

export type PartyRole = 'DEBTOR' | 'CREDITOR';

export interface ScreeningVerdict {
  outcome: ScreeningOutcome;
  /** For a HOLD or BLOCK, the parties that caused it, worst first. */
  flaggedParties: PartyRole[];
  reason: string;
}

export const bandRank: Readonly<Record<RiskBand, number>> = { LOW: 0, MEDIUM: 1, HIGH: 2 };

export function decideScreening(input: {
  debtor: ScreeningResult;
  creditor: ScreeningResult;
  travelRule: TravelRuleResult;
  travelRuleReason: () => string;
}): ScreeningVerdict {
  const parties: { role: PartyRole; result: ScreeningResult }[] = [
    { role: 'DEBTOR', result: input.debtor },
    { role: 'CREDITOR', result: input.creditor },
  ];
  const at = (band: RiskBand) => parties.filter((party) => bandRank[party.result.band] >= bandRank[band]);
  const high = at('HIGH');
  if (high.length > 0) {
    return {
      outcome: 'BLOCK',
      flaggedParties: at('MEDIUM').map((party) => party.role),
      reason: `sanctions hit: ${high.map(({ role, result }) => describe(role, result)).join('; ')}`,
    };
  }
  if (input.travelRule.applied && input.travelRule.missing.length > 0)
    return { outcome: 'REJECT', flaggedParties: [], reason: input.travelRuleReason() };
  const medium = at('MEDIUM');
  if (medium.length > 0) {
    return {
      outcome: 'HOLD',
      flaggedParties: medium.map((party) => party.role),
      reason: `possible sanctions match, for review: ${medium.map(({ role, result }) => describe(role, result)).join('; ')}`,
    };
  }
  return { outcome: 'PASS', flaggedParties: [], reason: 'both parties screened: no match at MEDIUM or above' };
}

/** `creditor HIGH: OFAC-SDN 6365 "BIN LADEN, Usama" (SDGT) 1.00` — the best match, named. */
function describe(role: PartyRole, result: ScreeningResult): string {
  const best: ScreeningMatch | undefined = result.matches[0];
  const pep = result.pep ? ', PEP' : '';
  if (!best) return `${role.toLowerCase()} ${result.band}${pep}`;
  return `${role.toLowerCase()} ${result.band}${pep}: ${best.list} ${best.entryId} "${best.matchedName}"${best.program ? ` (${best.program})` : ''} ${best.score.toFixed(2)}`;
}
