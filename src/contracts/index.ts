export * from './money.ts';
export * from './payment.ts';
export type * from './events.ts';
export * from './topics.ts';
export { defineTopicCatalog, type TopicCatalog } from './topic-catalog.ts';
export * from './topic-payloads.ts';
export { paymentSchemas, paymentSchemaMap } from './schemas.ts';
