import { describe, expect, expectTypeOf, it } from 'vitest';
import { declaredTypes } from '../../test/support/contract-drift.ts';
import type { ConsumedEvent } from '../backbone/consumer/handler.ts';
import type { PaymentRejected, PaymentReserved, PaymentSubmitted, RtgsSettled } from './events.ts';
import type { PaymentOrder } from './payment.ts';
import { paymentSchemas } from './schemas.ts';
import { isEventOf, isPaymentEvent, paymentIdOf, type PaymentEvent, type TopicPayloads, type TopicsCarrying } from './topic-payloads.ts';
import { PaymentTopics, type PaymentTopic } from './topics.ts';

// One source of truth per event, checked rather than derived: the payload types of
// topic-payloads.ts are compared field by field, both ways, with the Avro schema of their topic.
// Deriving the TypeScript types from `as const` schemas would also keep them together, but it
// would lose what the hand-written interfaces say (the doc comment of each field, the party fields
// the API may leave out) and make every service's types a type-level computation to read; the
// schemas stay the plain JSON the registry holds. This test reads both sides as they are.
//
// The drifted pairs below are how a careless change would leave a contract: the check must name
// each difference.
export interface RejectedWithANote extends PaymentRejected {
  note: string;
}
export interface SettledWithNumberDate extends Omit<RtgsSettled, 'settlementDate'> {
  settlementDate: number;
}
export interface ReservedWithThirdRoute extends Omit<PaymentReserved, 'route'> {
  route: 'INTERNAL' | 'RTGS' | 'SEPA';
}
export interface OrderWithAmountAsNumber extends Omit<PaymentOrder, 'amountMinor'> {
  amountMinor: number;
}
export interface SubmittedWithNullableOrder {
  payment: PaymentOrder | null;
}

const types = declaredTypes(['src/contracts/event-contracts.unit.spec.ts']);
const schemaOf = (topic: PaymentTopic) => paymentSchemas[topic] as { name: string; fields: { name: string; type: unknown }[] };

describe('every payment topic has one contract', () => {
  const payloads = types.properties(types.declared('src/contracts/topic-payloads.ts', 'TopicPayloads'));

  it('TopicPayloads names every payment topic, and no other', () => {
    expect([...payloads.keys()].sort()).toEqual(Object.values(PaymentTopics).sort());
  });

  it.each(Object.values(PaymentTopics))('the payload type of %s is its Avro schema, field by field both ways', (topic) => {
    expect(types.drift(payloads.get(topic)!, paymentSchemas[topic], schemaOf(topic).name)).toEqual([]);
  });
});

describe('the check finds a drifted pair', () => {
  const drift = (name: string, schema: unknown) =>
    types.drift(types.declared('src/contracts/event-contracts.unit.spec.ts', name), schema, 'payload');

  it('a field added to the TypeScript side only', () => {
    expect(drift('RejectedWithANote', paymentSchemas[PaymentTopics.rejected])).toEqual(['payload.note: only in TypeScript']);
  });

  it('a field added to the Avro side only, in a nested record', () => {
    const submitted = schemaOf(PaymentTopics.submitted);
    const order = submitted.fields[0]!.type as { fields: { name: string; type: unknown }[] };
    const debtor = order.fields.find((field) => field.name === 'debtor')!.type as { fields: { name: string; type: unknown }[] };
    const drifted = {
      ...submitted,
      fields: [
        {
          name: 'payment',
          type: {
            ...order,
            fields: order.fields.map((field) =>
              field.name === 'debtor'
                ? { ...field, type: { ...debtor, fields: [...debtor.fields, { name: 'email', type: 'string' }] } }
                : field,
            ),
          },
        },
      ],
    };
    // The creditor refers to the debtor's record by name, so both parties gained the field.
    expect(types.drift(types.declared('src/contracts/events.ts', 'PaymentSubmitted'), drifted, 'payload')).toEqual([
      'payload.payment.debtor.email: only in Avro (record Party)',
      'payload.payment.creditor.email: only in Avro (record Party)',
    ]);
  });

  it('a field whose type differs', () => {
    expect(drift('SettledWithNumberDate', paymentSchemas[PaymentTopics.rtgsSettled])).toEqual([
      'payload.settlementDate: number in TypeScript, string in Avro',
    ]);
  });

  it('money as a number instead of a long', () => {
    const order = schemaOf(PaymentTopics.submitted).fields[0]!.type;
    expect(drift('OrderWithAmountAsNumber', order)).toEqual(['payload.amountMinor: number in TypeScript, long in Avro']);
  });

  it('an enum symbol on one side only', () => {
    expect(drift('ReservedWithThirdRoute', paymentSchemas[PaymentTopics.reserved])).toEqual(["payload.route: 'SEPA' only in TypeScript"]);
    const reserved = schemaOf(PaymentTopics.reserved);
    const withThirdSymbol = {
      ...reserved,
      fields: reserved.fields.map((field) =>
        field.name === 'route' ? { ...field, type: { ...(field.type as object), symbols: ['INTERNAL', 'RTGS', 'SEPA'] } } : field,
      ),
    };
    expect(types.drift(types.declared('src/contracts/events.ts', 'PaymentReserved'), withThirdSymbol, 'payload')).toEqual([
      "payload.route: 'SEPA' only in Avro (enum SettlementRoute)",
    ]);
  });

  it('null allowed on one side only', () => {
    expect(drift('SubmittedWithNullableOrder', paymentSchemas[PaymentTopics.submitted])).toEqual([
      'payload.payment: nullable only in TypeScript',
    ]);
  });
});

describe('events narrowed by topic', () => {
  const event = <Payload>(topic: string, payload: Payload): ConsumedEvent => ({
    envelope: {
      eventId: 'e-1',
      eventType: 'x',
      schemaVersion: 1,
      occurredAt: '2026-01-01T00:00:00.000Z',
      correlationId: 'c',
      causationId: null,
      key: 'k',
      traceparent: '',
    },
    payload,
    topic,
    partition: 0,
    offset: 0n,
    attempt: 0,
  });

  it('a handler for a topic sees exactly that topic’s payload type', () => {
    expectTypeOf<PaymentEvent<typeof PaymentTopics.submitted>['payload']>().toEqualTypeOf<PaymentSubmitted>();
    expectTypeOf<PaymentEvent<typeof PaymentTopics.rtgsSettled>['payload']>().toEqualTypeOf<RtgsSettled>();
    expectTypeOf<TopicPayloads[typeof PaymentTopics.reserved]>().toEqualTypeOf<PaymentReserved>();
    expectTypeOf<TopicsCarrying<PaymentReserved>>().toEqualTypeOf<typeof PaymentTopics.reserved>();
  });

  it('isEventOf narrows by the topic the event was read from', () => {
    const settled = event(PaymentTopics.rtgsSettled, { paymentId: 'p-1', uetr: 'u', debtorAccount: 'a', settlementDate: '2026-01-01' });
    expect(isEventOf(settled, PaymentTopics.rtgsSettled)).toBe(true);
    expect(isEventOf(settled, PaymentTopics.rtgsRejected, PaymentTopics.reserved)).toBe(false);
    expect(isPaymentEvent(settled)).toBe(true);
    expect(isPaymentEvent(event('payments.settled.v1.retry-5s', {}))).toBe(false);
  });

  it('paymentIdOf reads the payment of an order event and of an outcome event', () => {
    expect(paymentIdOf({ paymentId: 'p-1', uetr: 'u', debtorAccount: 'a', settlementDate: '2026-01-01' })).toBe('p-1');
    expect(paymentIdOf({ payment: { paymentId: 'p-2' } as PaymentOrder })).toBe('p-2');
  });
});
