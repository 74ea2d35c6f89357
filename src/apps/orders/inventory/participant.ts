// The inventory participant: stock per SKU (set by operations), reserved for each placed order
// all or nothing, released when the order fails. Stock never goes below zero (a check constraint
// says so too); an unknown SKU has none.
import type { FastifyInstance } from 'fastify';
import type { ConsumerOptions } from '../../../backbone/consumer/index.ts';
import type { SqlRunner } from '../../../backbone/storage/index.ts';
import { problemResponses } from '../../../services/http/openapi.ts';
import { Scopes } from '../../../services/http/index.ts';
import { isOrderEventOf, orderEvent, OrderTopics, type StockLine } from '../contracts.ts';
import type { OrdersAppDeps, OrdersParticipant } from '../app.ts';
import { decideRelease, decideReservation, linesPerSku, type ReservationStage } from './domain.ts';

/** The most units of one SKU operations may set: far above any warehouse, far below int8. */
export const maxStockQuantity = 1_000_000_000;

export const inventoryMigrations = [
  {
    id: 1,
    name: 'stock per SKU and the reservation of each order',
    sql: `
      create table inventory_stock (
        sku text primary key,
        quantity int8 not null check (quantity >= 0),
        updated_at timestamptz not null
      );
      create table inventory_reservations (
        order_id text primary key,
        stage text not null,
        cancel_requested boolean not null default false,
        items jsonb not null default '[]',
        updated_at timestamptz not null
      );
    `,
  },
];

const orderFailures = [OrderTopics.paymentFailed, OrderTopics.shipmentFailed, OrderTopics.fraudDetected] as const;

export function inventoryParticipant(deps: OrdersAppDeps, options: { retryDelaysMs?: readonly number[] }): OrdersParticipant {
  const consumer: ConsumerOptions = {
    name: 'orders-inventory',
    topics: [OrderTopics.placed, ...orderFailures],
    retry: { mode: 'blocking', delaysMs: options.retryDelaysMs ?? [1_000, 5_000, 30_000] },
    handler: async (event, { tx, emit }) => {
      const now = new Date(deps.clock.nowMs());
      if (isOrderEventOf(event, OrderTopics.placed)) {
        const { orderId, items } = event.payload;
        const state = await lockReservation(tx, orderId, now);
        const lines = linesPerSku(items);
        const stock = await tx.query<{ sku: string; quantity: bigint }>(
          `select sku, quantity from inventory_stock where sku = any($1::text[]) order by sku for update`,
          [lines.map((line) => line.sku)],
        );
        const decision = decideReservation(state, {
          items: lines,
          stock: new Map(stock.rows.map((row) => [row.sku, Number(row.quantity)])),
        });
        if (decision.kind === 'reserve') {
          await moveStock(tx, decision.lines, -1, now);
          await setReservation(tx, orderId, 'reserved', decision.lines, now);
          emit(orderEvent(OrderTopics.inventoryReserved, { orderId, items: decision.lines }));
        } else if (decision.kind === 'refuse') {
          await setReservation(tx, orderId, 'failed', [], now);
          emit(orderEvent(OrderTopics.inventoryReservationFailed, { orderId, reasonCode: decision.reasonCode, sku: decision.sku }));
        }
        return;
      }
      if (isOrderEventOf(event, ...orderFailures)) {
        const orderId = event.payload.orderId;
        const state = await lockReservation(tx, orderId, now);
        const decision = decideRelease(state);
        if (decision.kind === 'release') {
          const held = await tx.query<{ items: StockLine[] }>(`select items from inventory_reservations where order_id = $1`, [orderId]);
          const lines = held.rows[0]?.items ?? [];
          await moveStock(tx, lines, 1, now);
          await setReservation(tx, orderId, 'released', lines, now);
          emit(orderEvent(OrderTopics.inventoryReleased, { orderId, items: lines }));
        } else if (decision.kind === 'note-cancel') {
          await tx.query(`update inventory_reservations set cancel_requested = true, updated_at = $2 where order_id = $1`, [orderId, now]);
        }
      }
    },
  };
  return { name: 'orders-inventory', migrations: inventoryMigrations, consumers: [consumer], routes: inventoryRoutes(deps) };
}

async function lockReservation(tx: SqlRunner, orderId: string, now: Date) {
  await tx.query(
    `insert into inventory_reservations (order_id, stage, updated_at) values ($1, 'none', $2) on conflict (order_id) do nothing`,
    [orderId, now],
  );
  const row = (
    await tx.query<{ stage: ReservationStage; cancel_requested: boolean }>(
      `select stage, cancel_requested from inventory_reservations where order_id = $1 for update`,
      [orderId],
    )
  ).rows[0]!;
  return { stage: row.stage, cancelRequested: row.cancel_requested };
}

async function setReservation(tx: SqlRunner, orderId: string, stage: ReservationStage, lines: readonly StockLine[], now: Date) {
  await tx.query(`update inventory_reservations set stage = $2, items = $3::jsonb, updated_at = $4 where order_id = $1`, [
    orderId,
    stage,
    JSON.stringify(lines),
    now,
  ]);
}

/** Adds `sign` × each line's quantity to its SKU's stock (the rows exist: the stock was there to reserve). */
async function moveStock(tx: SqlRunner, lines: readonly StockLine[], sign: 1 | -1, now: Date) {
  if (lines.length === 0) return;
  await tx.query(
    `update inventory_stock s set quantity = s.quantity + d.delta, updated_at = $3
     from unnest($1::text[], $2::int8[]) as d(sku, delta) where s.sku = d.sku`,
    [lines.map((line) => line.sku), lines.map((line) => BigInt(sign * line.quantity)), now],
  );
}

const skuParams = {
  type: 'object',
  properties: { sku: { type: 'string', pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'The stock-keeping unit' } },
  required: ['sku'],
  additionalProperties: false,
} as const;

const stockSchema = {
  type: 'object',
  properties: {
    sku: { type: 'string' },
    quantity: { type: 'integer', description: 'Units available to reserve (reserved units are not counted)' },
  },
  required: ['sku', 'quantity'],
} as const;

/** `PUT /v1/inventory/{sku}` and `GET /v1/inventory/{sku}`, for operations (scope `ops`). */
function inventoryRoutes(deps: OrdersAppDeps) {
  return async (app: FastifyInstance) => {
    app.put<{ Params: { sku: string }; Body: { quantity: number } }>(
      '/v1/inventory/:sku',
      {
        preValidation: deps.requireScope(Scopes.ops),
        schema: {
          operationId: 'setInventory',
          tags: ['orders'],
          summary: 'Sets the units of a SKU available to orders',
          params: skuParams,
          body: {
            type: 'object',
            properties: { quantity: { type: 'integer', minimum: 0, maximum: maxStockQuantity } },
            required: ['quantity'],
            additionalProperties: false,
          },
          response: { 200: stockSchema, ...problemResponses(400, 401, 403, 415) },
        },
      },
      async (request) => {
        const { sku } = request.params;
        await deps.db.query(
          `insert into inventory_stock (sku, quantity, updated_at) values ($1, $2, $3)
           on conflict (sku) do update set quantity = excluded.quantity, updated_at = excluded.updated_at`,
          [sku, BigInt(request.body.quantity), new Date(deps.clock.nowMs())],
        );
        return { sku, quantity: request.body.quantity };
      },
    );
    app.get<{ Params: { sku: string } }>(
      '/v1/inventory/:sku',
      {
        preValidation: deps.requireScope(Scopes.ops),
        schema: {
          operationId: 'getInventory',
          tags: ['orders'],
          summary: 'The units of a SKU available to orders (0 for an unknown SKU)',
          params: skuParams,
          response: { 200: stockSchema, ...problemResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { sku } = request.params;
        const row = (await deps.db.query<{ quantity: bigint }>(`select quantity from inventory_stock where sku = $1`, [sku])).rows[0];
        return { sku, quantity: Number(row?.quantity ?? 0n) };
      },
    );
  };
}
