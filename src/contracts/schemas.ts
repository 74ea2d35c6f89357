import { PaymentTopics, type PaymentTopic } from './topics.ts';

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

export const paymentSchemas: Record<PaymentTopic, object> = {
  [PaymentTopics.submitted]: record('PaymentSubmitted', [{ name: 'payment', type: paymentOrder }]),
  [PaymentTopics.validated]: record('PaymentValidated', [{ name: 'payment', type: paymentOrder }]),
  [PaymentTopics.rejected]: record('PaymentRejected', [string('paymentId'), string('debtorAccount'), string('reasonCode'), string('reason')]),
  [PaymentTopics.reserved]: record('PaymentReserved', [{ name: 'payment', type: paymentOrder }, { name: 'route', type: route }]),
  [PaymentTopics.completed]: record('PaymentCompleted', [string('paymentId'), string('uetr'), string('debtorAccount'), { name: 'amountMinor', type: 'long' }, string('currency'), { name: 'route', type: route }]),
  [PaymentTopics.failed]: record('PaymentFailed', [string('paymentId'), string('debtorAccount'), { name: 'amountMinor', type: 'long' }, string('currency'), string('reasonCode'), string('reason')]),
  [PaymentTopics.rtgsSubmitted]: record('RtgsSubmitted', [string('paymentId'), string('uetr'), string('debtorAccount'), string('messageId')]),
  [PaymentTopics.rtgsSettled]: record('RtgsSettled', [string('paymentId'), string('uetr'), string('debtorAccount'), string('settlementDate')]),
  [PaymentTopics.rtgsRejected]: record('RtgsRejected', [string('paymentId'), string('uetr'), string('debtorAccount'), string('reasonCode'), string('reason')]),
};

/** Topic → Avro schema JSON, as the backbone's codec takes it. */
export function paymentSchemaMap(): Map<string, string> {
  return new Map(Object.entries(paymentSchemas).map(([topic, schema]) => [topic, JSON.stringify(schema)]));
}
