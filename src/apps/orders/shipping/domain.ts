// Shipping ships an order once it is paid, cleared by the fraud check and reserved, in whatever
// order those three facts arrive; and never twice. The carrier is simulated: it refuses a
// destination it does not serve (the country code `XX`), which is how tests fail a shipment.

export interface ShipmentState {
  /** From OrderPlaced: where to, and what it is worth. */
  order: { destinationCountry: string; amountMinor: bigint; currency: string } | null;
  paid: boolean;
  fraudCleared: boolean;
  reserved: boolean;
  stage: 'waiting' | 'created' | 'failed';
}

export const waitingShipment: ShipmentState = { order: null, paid: false, fraudCleared: false, reserved: false, stage: 'waiting' };

export type ShipmentFact = 'placed' | 'paid' | 'fraud-cleared' | 'reserved';

export function evolveShipment(state: ShipmentState, fact: ShipmentFact, order?: ShipmentState['order']): ShipmentState {
  switch (fact) {
    case 'placed':
      return { ...state, order: state.order ?? order ?? null };
    case 'paid':
      return { ...state, paid: true };
    case 'fraud-cleared':
      return { ...state, fraudCleared: true };
    case 'reserved':
      return { ...state, reserved: true };
  }
}

/** Whether to hand the order to the carrier now. */
export function readyToShip(state: ShipmentState): boolean {
  return state.stage === 'waiting' && state.order !== null && state.paid && state.fraudCleared && state.reserved;
}

export type CarrierAnswer =
  { accepted: true; carrier: string; trackingNumber: string } | { accepted: false; reasonCode: string; reason: string };

/** Countries the simulated carrier refuses. */
export const unservedCountries: ReadonlySet<string> = new Set(['XX']);

/** The simulated carrier: deterministic per order, so a re-run of the handler gets the same answer. */
export function simulatedCarrier(orderId: string, destinationCountry: string): CarrierAnswer {
  if (unservedCountries.has(destinationCountry))
    return { accepted: false, reasonCode: 'DESTINATION_NOT_SERVED', reason: `the carrier does not deliver to ${destinationCountry}` };
  return { accepted: true, carrier: 'SIMPOST', trackingNumber: `SP${orderId.replaceAll('-', '').slice(-12).toUpperCase()}` };
}
