// What the order flow's participants are made of and stand on. The app lives outside the payment
// services: it imports the backbone's public API, paystream's contracts and the API's shared
// conventions (src/services/http) only, and reaches the payment platform through its HTTP API and
// its events, like any application on the same backbone (lint holds it to that).
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Database, Migration, SqlRunner } from '../../backbone/storage/index.ts';
import type { ConsumerOptions } from '../../backbone/consumer/index.ts';
import type { Outbox } from '../../backbone/outbox/index.ts';
import type { EventCodec } from '../../backbone/codec/index.ts';
import type { Clock, IdGenerator } from '../../backbone/clock/index.ts';
import { EventEncoder, type EventCause, type NewEvent } from '../../backbone/envelope/index.ts';
import type { Scope } from '../../services/http/index.ts';
import type { PaymentsApi } from './payment/payments-api.ts';

/** One participant of the choreography: its own tables, its own consumer group, its routes and loops. */
export interface OrdersParticipant {
  /** The migration scope and the consumer group's name. */
  name: string;
  migrations: readonly Migration[];
  consumers: readonly ConsumerOptions[];
  routes?: (app: FastifyInstance) => Promise<void> | void;
  workers?: readonly { name: string; start(): Promise<void>; stop(): Promise<void> }[];
}

export interface OrdersAppDeps {
  db: Database;
  outbox: Outbox;
  codec: EventCodec;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  requireScope: (scope: Scope) => preHandlerHookHandler;
  /** The API key id of an authenticated request (idempotency keys are per API key). */
  callerOf: (request: FastifyRequest) => string;
  /** Whether an authenticated request's key holds `scope` (the order timeline shows operators' notes to `ops` only). */
  callerHolds: (request: FastifyRequest, scope: Scope) => boolean;
  /** Where the order flow's gauges go (`/metrics`); none in tests that do not read them. */
  metricsRegistry?: Registry;
  /** paystream's payment API, with a key of scope payments:write and payments:read. */
  paymentsApi: PaymentsApi;
}

/** Writes events to the outbox in `tx` (published iff `tx` commits), for code outside a consumer's handler. */
export type PublishEvents = (tx: SqlRunner, events: readonly NewEvent[], cause: EventCause) => Promise<void>;

export function outboxPublisher(deps: Pick<OrdersAppDeps, 'codec' | 'ids' | 'clock' | 'outbox'>): PublishEvents {
  const encoder = new EventEncoder(deps.codec, deps.ids, deps.clock);
  return async (tx, events, cause) => {
    if (events.length === 0) return;
    const messages = await Promise.all(events.map(async (event) => (await encoder.encode(event, cause)).message));
    await deps.outbox.write(tx, messages);
  };
}
