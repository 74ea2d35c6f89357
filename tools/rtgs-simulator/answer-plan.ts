import type { CreditTransfer } from '../../src/contracts/iso20022/pacs008.ts';

/**
 * How the simulated network will answer one pacs.008, decided when it arrives (and stored, so a
 * restart answers the same way). Rules on the creditor's name make outcomes deterministic for
 * tests; the rates add randomness for load tests.
 *
 *   name contains REJECT          → RJCT, reason AC01 (or the code after it: "REJECT-AM04")
 *   name contains LATE            → answered after lateDelayMs
 *   name contains NEVER           → never decided (status pending forever)
 *   name contains NOCALLBACK      → decided, but no callback: only a status query reveals it
 */
export interface AnswerPlan {
  outcome: 'settle' | 'reject' | 'never';
  reasonCode?: string;
  answerAfterMs: number;
  callback: boolean;
}

export interface PlanSettings {
  latencyMs: number;
  rejectRate: number;
  lateRate: number;
  lateDelayMs: number;
  neverAnswerRate: number;
}

export function planAnswer(transfer: Pick<CreditTransfer, 'creditorName'>, settings: PlanSettings, random: () => number): AnswerPlan {
  const name = (transfer.creditorName ?? '').toUpperCase();
  const callback = !name.includes('NOCALLBACK');
  const late = name.includes('LATE') || random() < settings.lateRate;
  const answerAfterMs = late ? settings.lateDelayMs : settings.latencyMs;
  if (name.includes('NEVER') || random() < settings.neverAnswerRate) return { outcome: 'never', answerAfterMs, callback };
  const ruled = /REJECT(?:[-:]([A-Z0-9]{4}))?/.exec(name);
  if (ruled) return { outcome: 'reject', reasonCode: ruled[1] ?? 'AC01', answerAfterMs, callback };
  if (random() < settings.rejectRate) return { outcome: 'reject', reasonCode: 'AM04', answerAfterMs, callback };
  return { outcome: 'settle', answerAfterMs, callback };
}
