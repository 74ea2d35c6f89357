export * from './money.ts';
export * from './payment.ts';
export type * from './events.ts';
export * from './topics.ts';
export { paymentSchemas, paymentSchemaMap } from './schemas.ts';
