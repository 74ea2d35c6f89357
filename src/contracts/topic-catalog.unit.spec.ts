import { describe, expect, it } from 'vitest';
import { defineTopicCatalog } from './topic-catalog.ts';
import { PaymentEventTypes, PaymentTopics, paymentTopicSpecs } from './topics.ts';

describe('a topic catalog', () => {
  it('names each topic, the event type it carries, and declares them all in order', () => {
    const catalog = defineTopicCatalog({
      placed: ['orders.placed.v1', 'OrderPlaced'],
      cancelled: ['orders.cancelled.v1', 'OrderCancelled'],
    });
    expect(catalog.topics).toEqual({ placed: 'orders.placed.v1', cancelled: 'orders.cancelled.v1' });
    expect(catalog.eventTypes).toEqual({ 'orders.placed.v1': 'OrderPlaced', 'orders.cancelled.v1': 'OrderCancelled' });
    expect(catalog.specs().map((spec) => spec.name)).toEqual(['orders.placed.v1', 'orders.cancelled.v1']);
  });

  it('refuses a topic declared twice (one topic, one event type, one schema lineage)', () => {
    expect(() => defineTopicCatalog({ a: ['x.v1', 'A'], b: ['x.v1', 'B'] })).toThrow('a topic is declared twice');
  });

  it('declares the payment topics as before, each with its event type', () => {
    expect(PaymentTopics.completed).toBe('payments.completed.v1');
    expect(PaymentEventTypes[PaymentTopics.held]).toBe('PaymentHeldForReview');
    expect(paymentTopicSpecs().map((spec) => spec.name)).toEqual(Object.values(PaymentTopics));
    expect(Object.keys(PaymentEventTypes)).toEqual(Object.values(PaymentTopics));
  });
});
