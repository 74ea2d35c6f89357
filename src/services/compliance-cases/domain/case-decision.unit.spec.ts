import { describe, it } from 'vitest';
import { PaymentReasonCodes } from '../../../contracts/payment.ts';
import { PaymentEventTypes, PaymentTopics } from '../../../contracts/topics.ts';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import { decideCase, type CaseUnderDecision, type HeldPayment, type OfficerDecision } from './case-decision.ts';

// An officer's decision on a held case, as a decision: given the case (its status and payments),
// when the officer approves or rejects, then the events published per payment, or a refusal.
const account = 'DE89370400440532013000';
const held = (paymentId: string): HeldPayment => ({
  paymentId,
  correlationId: `flow-${paymentId}`,
  onApprove: {
    topic: PaymentTopics.initiated,
    eventType: PaymentEventTypes[PaymentTopics.initiated],
    key: account,
    payload: { paymentId },
  },
});
const openCase = (...payments: HeldPayment[]): CaseUnderDecision => ({
  caseId: 'case-1',
  debtorAccount: account,
  stage: 'SCREENING',
  status: 'open',
  payments,
});
const approve: OfficerDecision = { decision: 'approve', reason: 'false positive: other date of birth', officerKeyId: 'officer-key' };
const reject: OfficerDecision = { decision: 'reject', reason: 'confirmed match', officerKeyId: 'officer-key' };

const decided = (paymentId: string, decision: 'APPROVE' | 'REJECT', reason: string, stage: 'SCREENING' | 'FRAUD' = 'SCREENING') => ({
  topic: PaymentTopics.caseDecided,
  eventType: PaymentEventTypes[PaymentTopics.caseDecided],
  key: account,
  payload: { caseId: 'case-1', paymentId, debtorAccount: account, stage, decision, reason, decidedBy: 'officer-key' },
});
const rejected = (paymentId: string) => ({
  topic: PaymentTopics.rejected,
  eventType: PaymentEventTypes[PaymentTopics.rejected],
  key: account,
  payload: {
    paymentId,
    debtorAccount: account,
    reasonCode: PaymentReasonCodes.COMPLIANCE_REJECTED,
    reason: 'rejected by a compliance officer: confirmed match',
  },
});

const caseDecision = decisionSpec(decideCase);

describe('decideCase', () => {
  it('given an open case, when the officer approves, then the decision is recorded and the payment released by its own event', () => {
    caseDecision
      .given(openCase(held('pay-1')))
      .when(approve)
      .then({
        kind: 'decide',
        status: 'approved',
        publications: [{ correlationId: 'flow-pay-1', events: [decided('pay-1', 'APPROVE', approve.reason), held('pay-1').onApprove] }],
      });
  });

  it('given an open case, when the officer rejects, then the payment is rejected with the reason, nothing debited', () => {
    caseDecision
      .given(openCase(held('pay-1')))
      .when(reject)
      .then({
        kind: 'decide',
        status: 'rejected',
        publications: [{ correlationId: 'flow-pay-1', events: [decided('pay-1', 'REJECT', reject.reason), rejected('pay-1')] }],
      });
  });

  it('applies the decision to every attached payment, in order, each under its own correlation id', () => {
    const fraudCase = { ...openCase(held('pay-1'), held('pay-2'), held('pay-3')), stage: 'FRAUD' as const };
    caseDecision
      .given(fraudCase)
      .when(reject)
      .then({
        kind: 'decide',
        status: 'rejected',
        publications: ['pay-1', 'pay-2', 'pay-3'].map((paymentId) => ({
          correlationId: `flow-${paymentId}`,
          events: [decided(paymentId, 'REJECT', reject.reason, 'FRAUD'), rejected(paymentId)],
        })),
      });
  });

  it('refuses a second decision, whichever the first was: a case is decided once', () => {
    caseDecision
      .given({ ...openCase(held('pay-1')), status: 'approved' })
      .when(reject)
      .then({ kind: 'refuse', code: 'conflict', reason: 'the case was already approved' });
    caseDecision
      .given({ ...openCase(held('pay-1')), status: 'rejected' })
      .when(approve)
      .then({ kind: 'refuse', code: 'conflict', reason: 'the case was already rejected' });
    caseDecision
      .given({ ...openCase(held('pay-1')), status: 'approved' })
      .when(approve)
      .then({ kind: 'refuse', code: 'conflict', reason: 'the case was already approved' });
  });

  it('refuses a decision on a withdrawn case with its own code and the reason it was withdrawn', () => {
    for (const officer of [approve, reject])
      caseDecision
        .given({ ...openCase(held('loan-1')), status: 'withdrawn', withdrawnReason: 'the loan application ended undecided' })
        .when(officer)
        .then({
          kind: 'refuse',
          code: 'case-withdrawn',
          reason: 'the case was withdrawn before a decision: the loan application ended undecided',
        });
  });
});
