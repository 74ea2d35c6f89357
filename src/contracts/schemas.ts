import { PaymentTopics, type PaymentTopic } from './topics.ts';
import { loanSchemas } from './loans.ts';
import { authorizationSchemas } from './authorizations.ts';

/**
 * The Avro value schema of every payment topic: the wire contract, registered under
 * `<topic>-value`. Evolve them only compatibly (new fields with defaults); the registry refuses the
 * rest. Money is `amountMinor` (long, minor units) plus an ISO 4217 `currency`, never a float.
 */
const party = {
  type: 'record',
  name: 'Party',
  namespace: 'paystream.payments',
  fields: [
    { name: 'name', type: 'string' },
    { name: 'account', type: 'string' },
    { name: 'agent', type: ['null', 'string'], default: null },
    { name: 'country', type: ['null', 'string'], default: null },
    {
      name: 'postalAddress',
      type: [
        'null',
        {
          type: 'record',
          name: 'PostalAddress',
          fields: [
            { name: 'streetName', type: ['null', 'string'], default: null },
            { name: 'buildingNumber', type: ['null', 'string'], default: null },
            { name: 'postCode', type: ['null', 'string'], default: null },
            { name: 'townName', type: 'string' },
            { name: 'country', type: 'string' },
          ],
        },
      ],
      default: null,
    },
    { name: 'dateOfBirth', type: ['null', 'string'], default: null },
    {
      name: 'placeOfBirth',
      type: [
        'null',
        {
          type: 'record',
          name: 'PlaceOfBirth',
          fields: [
            { name: 'city', type: 'string' },
            { name: 'country', type: 'string' },
          ],
        },
      ],
      default: null,
    },
    {
      name: 'nationalId',
      type: [
        'null',
        {
          type: 'record',
          name: 'NationalId',
          fields: [
            { name: 'id', type: 'string' },
            { name: 'scheme', type: 'string' },
            { name: 'issuer', type: ['null', 'string'], default: null },
          ],
        },
      ],
      default: null,
    },
  ],
};

const paymentOrder = {
  type: 'record',
  name: 'PaymentOrder',
  namespace: 'paystream.payments',
  fields: [
    { name: 'paymentId', type: 'string' },
    { name: 'uetr', type: 'string' },
    { name: 'endToEndId', type: 'string' },
    { name: 'amountMinor', type: 'long' },
    { name: 'currency', type: 'string' },
    { name: 'debtor', type: party },
    { name: 'creditor', type: 'paystream.payments.Party' },
    { name: 'remittanceInformation', type: ['null', 'string'], default: null },
    { name: 'receivedAt', type: 'string' },
  ],
};

const route = { type: 'enum', name: 'SettlementRoute', namespace: 'paystream.payments', symbols: ['INTERNAL', 'RTGS'] };

function record(name: string, fields: object[]): object {
  return { type: 'record', name, namespace: 'paystream.payments', fields };
}

const string = (name: string) => ({ name, type: 'string' });

const compliance = {
  initiated: record('PaymentInitiated', [
    { name: 'payment', type: paymentOrder },
    string('corridorCode'),
    string('screeningDecisionId'),
    { name: 'listVersions', type: { type: 'array', items: 'string' } },
    { name: 'travelRuleApplied', type: 'boolean' },
  ]),
  blocked: record('PaymentBlocked', [
    string('paymentId'),
    string('debtorAccount'),
    { name: 'amountMinor', type: 'long' },
    string('currency'),
    string('reasonCode'),
    string('reason'),
    string('screeningDecisionId'),
  ]),
  held: record('PaymentHeldForReview', [
    string('paymentId'),
    string('debtorAccount'),
    string('caseId'),
    { name: 'stage', type: { type: 'enum', name: 'ReviewStage', symbols: ['SCREENING', 'FRAUD'] } },
    string('reason'),
  ]),
  scored: record('PaymentScored', [
    { name: 'payment', type: paymentOrder },
    string('corridorCode'),
    { name: 'score', type: 'int' },
    {
      name: 'reasons',
      type: {
        type: 'array',
        items: { type: 'record', name: 'ScoreReason', fields: [string('rule'), { name: 'points', type: 'int' }, string('detail')] },
      },
    },
    { name: 'decision', type: { type: 'enum', name: 'ScoreDecision', symbols: ['PASS', 'REVIEW'] } },
  ]),
  cleared: record('PaymentCleared', [{ name: 'payment', type: paymentOrder }, string('corridorCode'), string('clearedBy')]),
  caseDecided: record('ComplianceCaseDecided', [
    string('caseId'),
    string('paymentId'),
    string('debtorAccount'),
    { name: 'stage', type: { type: 'enum', name: 'CaseStage', symbols: ['SCREENING', 'FRAUD'] } },
    { name: 'decision', type: { type: 'enum', name: 'CaseDecision', symbols: ['APPROVE', 'REJECT'] } },
    string('reason'),
    string('decidedBy'),
  ]),
  amlAlertRaised: record('AmlAlertRaised', [
    string('alertId'),
    string('paymentId'),
    string('debtorAccount'),
    { name: 'party', type: { type: 'enum', name: 'ScreenedParty', symbols: ['DEBTOR', 'CREDITOR'] } },
    { name: 'band', type: { type: 'enum', name: 'RiskBand', symbols: ['HIGH', 'MEDIUM', 'LOW'] } },
    {
      name: 'matches',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'SanctionsMatch',
          fields: [
            string('list'),
            string('listVersion'),
            string('entryId'),
            string('matchedName'),
            string('program'),
            { name: 'scoreBp', type: 'int' },
          ],
        },
      },
    },
  ]),
};

export const paymentSchemas: Record<PaymentTopic, object> = {
  [PaymentTopics.submitted]: record('PaymentSubmitted', [{ name: 'payment', type: paymentOrder }]),
  [PaymentTopics.validated]: record('PaymentValidated', [{ name: 'payment', type: paymentOrder }]),
  [PaymentTopics.rejected]: record('PaymentRejected', [
    string('paymentId'),
    string('debtorAccount'),
    string('reasonCode'),
    string('reason'),
  ]),
  [PaymentTopics.reserved]: record('PaymentReserved', [
    { name: 'payment', type: paymentOrder },
    { name: 'route', type: route },
  ]),
  [PaymentTopics.completed]: record('PaymentCompleted', [
    string('paymentId'),
    string('uetr'),
    string('debtorAccount'),
    { name: 'amountMinor', type: 'long' },
    string('currency'),
    { name: 'route', type: route },
  ]),
  [PaymentTopics.failed]: record('PaymentFailed', [
    string('paymentId'),
    string('debtorAccount'),
    { name: 'amountMinor', type: 'long' },
    string('currency'),
    string('reasonCode'),
    string('reason'),
  ]),
  [PaymentTopics.rtgsSubmitted]: record('RtgsSubmitted', [
    string('paymentId'),
    string('uetr'),
    string('debtorAccount'),
    string('messageId'),
  ]),
  [PaymentTopics.rtgsSettled]: record('RtgsSettled', [
    string('paymentId'),
    string('uetr'),
    string('debtorAccount'),
    string('settlementDate'),
  ]),
  [PaymentTopics.rtgsRejected]: record('RtgsRejected', [
    string('paymentId'),
    string('uetr'),
    string('debtorAccount'),
    string('reasonCode'),
    string('reason'),
  ]),
  [PaymentTopics.initiated]: compliance.initiated,
  [PaymentTopics.blocked]: compliance.blocked,
  [PaymentTopics.held]: compliance.held,
  [PaymentTopics.scored]: compliance.scored,
  [PaymentTopics.cleared]: compliance.cleared,
  [PaymentTopics.amlAlertRaised]: compliance.amlAlertRaised,
  [PaymentTopics.caseDecided]: compliance.caseDecided,
};

/**
 * Topic → Avro schema JSON, as the backbone's codec takes it: the payment topics, the loan
 * approval's (`loans.ts`) and the authorization's (`authorizations.ts`).
 */
export function paymentSchemaMap(): Map<string, string> {
  return new Map(
    Object.entries({ ...paymentSchemas, ...loanSchemas, ...authorizationSchemas }).map(([topic, schema]) => [
      topic,
      JSON.stringify(schema),
    ]),
  );
}
