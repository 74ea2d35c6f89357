import { describe, it } from 'vitest';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import { decideRelease, decideReservation, noReservation } from './domain.ts';

const reservation = decisionSpec(decideReservation);
const release = decisionSpec((state: typeof noReservation, _input: 'order-failed') => decideRelease(state));

describe('the inventory participant decides', () => {
  it('to reserve every line, summed per SKU, when every SKU has the stock', () => {
    reservation
      .given(noReservation)
      .when({
        items: [
          { sku: 'b', quantity: 1 },
          { sku: 'a', quantity: 2 },
          { sku: 'b', quantity: 2 },
        ],
        stock: new Map([
          ['a', 2],
          ['b', 3],
        ]),
      })
      .then({
        kind: 'reserve',
        lines: [
          { sku: 'a', quantity: 2 },
          { sku: 'b', quantity: 3 },
        ],
      });
  });
  it('to refuse the whole order naming the first SKU short of stock; an unknown SKU has none', () => {
    reservation
      .given(noReservation)
      .when({
        items: [
          { sku: 'a', quantity: 1 },
          { sku: 'b', quantity: 4 },
        ],
        stock: new Map([
          ['a', 5],
          ['b', 3],
        ]),
      })
      .then({ kind: 'refuse', reasonCode: 'OUT_OF_STOCK', sku: 'b' });
    reservation
      .given(noReservation)
      .when({ items: [{ sku: 'x', quantity: 1 }], stock: new Map() })
      .then({ kind: 'refuse', reasonCode: 'OUT_OF_STOCK', sku: 'x' });
  });
  it('to reserve nothing for an order that failed before its stock was looked at, and nothing twice', () => {
    reservation
      .given({ stage: 'none', cancelRequested: true })
      .when({ items: [{ sku: 'a', quantity: 1 }], stock: new Map([['a', 1]]) })
      .then({ kind: 'refuse', reasonCode: 'ORDER_CANCELLED', sku: null });
    reservation
      .given({ stage: 'reserved', cancelRequested: false })
      .when({ items: [{ sku: 'a', quantity: 1 }], stock: new Map([['a', 1]]) })
      .then({ kind: 'nothing' });
  });
  it('to release a reservation once, and to remember a failure heard before the order', () => {
    release.given({ stage: 'reserved', cancelRequested: false }).when('order-failed').then({ kind: 'release' });
    release.given({ stage: 'released', cancelRequested: false }).when('order-failed').then({ kind: 'nothing' });
    release.given({ stage: 'failed', cancelRequested: false }).when('order-failed').then({ kind: 'nothing' });
    release.given(noReservation).when('order-failed').then({ kind: 'note-cancel' });
    release.given({ stage: 'none', cancelRequested: true }).when('order-failed').then({ kind: 'nothing' });
  });
});
