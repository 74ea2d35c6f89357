// The inventory participant's decisions: reserve an order's stock, all of it or none, and release
// it when the order fails. Stock per SKU never goes below zero; an unknown SKU has none.
import type { StockLine } from '../contracts.ts';

export type ReservationStage = 'none' | 'reserved' | 'failed' | 'released';

export interface ReservationState {
  stage: ReservationStage;
  /** A failure of the order was heard before its stock was looked at: reserve nothing. */
  cancelRequested: boolean;
}

export const noReservation: ReservationState = { stage: 'none', cancelRequested: false };

export type ReservationDecision =
  | { kind: 'reserve'; lines: StockLine[] }
  | { kind: 'refuse'; reasonCode: 'OUT_OF_STOCK' | 'ORDER_CANCELLED'; sku: string | null }
  | { kind: 'release' }
  | { kind: 'note-cancel' }
  | { kind: 'nothing' };

/** The order's lines summed per SKU, in SKU order (the order rows are locked in). */
export function linesPerSku(items: readonly StockLine[]): StockLine[] {
  const bySku = new Map<string, number>();
  for (const item of items) bySku.set(item.sku, (bySku.get(item.sku) ?? 0) + item.quantity);
  return [...bySku].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([sku, quantity]) => ({ sku, quantity }));
}

/** On OrderPlaced: reserve every line when every SKU has the stock, else refuse naming the first short one. */
export function decideReservation(
  state: ReservationState,
  input: { items: readonly StockLine[]; stock: ReadonlyMap<string, number> },
): ReservationDecision {
  if (state.stage !== 'none') return { kind: 'nothing' };
  if (state.cancelRequested) return { kind: 'refuse', reasonCode: 'ORDER_CANCELLED', sku: null };
  const lines = linesPerSku(input.items);
  const short = lines.find((line) => (input.stock.get(line.sku) ?? 0) < line.quantity);
  return short ? { kind: 'refuse', reasonCode: 'OUT_OF_STOCK', sku: short.sku } : { kind: 'reserve', lines };
}

/** On a failure of the order (payment failed, shipment failed, fraud detected): release what is held, once. */
export function decideRelease(state: ReservationState): ReservationDecision {
  if (state.stage === 'reserved') return { kind: 'release' };
  if (state.stage === 'none' && !state.cancelRequested) return { kind: 'note-cancel' };
  return { kind: 'nothing' };
}
