/**
 * The loan approval's wire contract: its topics, the saga's data that every command carries, and
 * the Avro schema of each topic. The ledger (a participant) and the loans service (the
 * orchestrator and the other participants) both compile against it, so neither imports the other.
 *
 * The saga's commands and replies carry ids and amounts only: the applicant's personal data stays
 * in the loans service's own table, and a participant that needs it (KYC) is the loans service.
 */
export const LoanTopics = {
  /** Commands to the ledger: reserve the amount against the lending capacity, disburse it, release it. */
  ledgerCommands: 'ledger.loan-commands.v1',
  /** Commands to the loans service's own participants: KYC, credit score, risk (and its revert). */
  loanCommands: 'loans.saga-commands.v1',
  /** Every participant's replies, consumed by the orchestrator. */
  sagaReplies: 'loans.saga-replies.v1',
  /** A compliance officer's decision on an applicant's KYC case. */
  kycDecisions: 'loans.kyc-decisions.v1',
  /** A loan application ended: APPROVED or REJECTED (what the customer may be told). */
  applicationDecided: 'loans.application-decided.v1',
} as const;

/** The loan approval saga's data: what every command carries (no personal data). */
export interface LoanSagaData {
  applicationId: string;
  /** The applicant's account at this bank (an IBAN), where the loan is paid out. */
  account: string;
  amountMinor: bigint;
  currency: string;
}

/** The names of the loan approval's steps and compensations, as its commands carry them. */
export const LoanCommandNames = {
  reserve: 'START',
  kyc: 'KYC_CHECK',
  creditScore: 'CREDIT_SCORE',
  riskAssessment: 'RISK_ASSESSMENT',
  disburse: 'APPROVED',
  revertRisk: 'REVERT_RISK',
  releaseReservation: 'RELEASE_RESERVATIONS',
} as const;

/** The saga's data from a command's `data`, checked field by field (a command is outside input to a participant). */
export function loanSagaDataOf(data: unknown): LoanSagaData {
  if (!data || typeof data !== 'object') throw new TypeError('a loan command carries no data');
  const { applicationId, account, amountMinor, currency } = data as Record<string, unknown>;
  if (typeof applicationId !== 'string' || typeof account !== 'string' || typeof currency !== 'string')
    throw new TypeError('a loan command needs applicationId, account and currency');
  const amount = typeof amountMinor === 'bigint' ? amountMinor : typeof amountMinor === 'number' ? BigInt(amountMinor) : undefined;
  if (amount === undefined || amount <= 0n) throw new TypeError('a loan command needs a positive amountMinor');
  return { applicationId, account, amountMinor: amount, currency };
}

/** A compliance officer's decision on an applicant's KYC case (`loans.kyc-decisions.v1`). */
export interface LoanKycDecision {
  applicationId: string;
  caseId: string;
  decision: 'APPROVE' | 'REJECT';
}

export function loanKycDecisionOf(payload: unknown): LoanKycDecision {
  const { applicationId, caseId, decision } = (payload ?? {}) as Record<string, unknown>;
  if (typeof applicationId !== 'string' || typeof caseId !== 'string' || (decision !== 'APPROVE' && decision !== 'REJECT'))
    throw new TypeError('a KYC decision needs applicationId, caseId and decision');
  return { applicationId, caseId, decision };
}

/** `loans.application-decided.v1`: the end of an application, as the customer may be told it. */
export interface LoanApplicationDecided {
  applicationId: string;
  account: string;
  status: 'APPROVED' | 'REJECTED';
  amountMinor: bigint;
  currency: string;
  /** The customer's reason code (`LoanCustomerReasons`), null when approved. */
  reasonCode: string | null;
}

const string = (name: string) => ({ name, type: 'string' });
const optionalString = (name: string) => ({ name, type: ['null', 'string'], default: null });

const loanSagaData = {
  type: 'record',
  name: 'LoanSagaData',
  namespace: 'paystream.loans',
  fields: [string('applicationId'), string('account'), { name: 'amountMinor', type: 'long' }, string('currency')],
};

/** A saga command whose data is the loan's (`SagaCommandMessage` of the backbone). */
const loanSagaCommand = {
  type: 'record',
  name: 'LoanSagaCommand',
  namespace: 'paystream.loans',
  fields: [
    string('commandId'),
    string('sagaId'),
    string('sagaType'),
    string('name'),
    { name: 'kind', type: { type: 'enum', name: 'SagaCommandKind', symbols: ['step', 'compensation'] } },
    { name: 'attempt', type: 'int' },
    { name: 'data', type: loanSagaData },
    string('replyTopic'),
  ],
};

/** The Avro value schema of each loan topic (the ledger's command topic declares the same command record). */
export const loanSchemas: Record<(typeof LoanTopics)[keyof typeof LoanTopics], object> = {
  [LoanTopics.ledgerCommands]: loanSagaCommand,
  [LoanTopics.loanCommands]: loanSagaCommand,
  [LoanTopics.sagaReplies]: {
    type: 'record',
    name: 'LoanSagaReply',
    namespace: 'paystream.loans',
    fields: [string('sagaId'), string('commandId'), { name: 'ok', type: 'boolean' }, optionalString('reason')],
  },
  [LoanTopics.kycDecisions]: {
    type: 'record',
    name: 'LoanKycDecision',
    namespace: 'paystream.loans',
    fields: [
      string('applicationId'),
      string('caseId'),
      { name: 'decision', type: { type: 'enum', name: 'LoanKycDecisionKind', symbols: ['APPROVE', 'REJECT'] } },
    ],
  },
  [LoanTopics.applicationDecided]: {
    type: 'record',
    name: 'LoanApplicationDecided',
    namespace: 'paystream.loans',
    fields: [
      string('applicationId'),
      string('account'),
      { name: 'status', type: { type: 'enum', name: 'LoanApplicationStatus', symbols: ['APPROVED', 'REJECTED'] } },
      { name: 'amountMinor', type: 'long' },
      string('currency'),
      optionalString('reasonCode'),
    ],
  },
};
