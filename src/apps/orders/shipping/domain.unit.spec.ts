import { describe, it } from 'vitest';
import { decisionSpec } from '../../../../test/support/decision-spec.ts';
import { evolveShipment, readyToShip, simulatedCarrier, waitingShipment, type ShipmentFact } from './domain.ts';

const order = { destinationCountry: 'DE', amountMinor: 1_000n, currency: 'EUR' };
const shipping = decisionSpec({
  initialState: () => waitingShipment,
  evolve: (state: typeof waitingShipment, fact: ShipmentFact) => evolveShipment(state, fact, order),
  decide: (state: typeof waitingShipment, _input: 'ready?') => readyToShip(state),
});
const carrier = decisionSpec((_state: null, destination: string) => simulatedCarrier('0190c0de-0000-7000-8000-00000000abcd', destination));

describe('shipping decides', () => {
  it('to ship once the order is placed, paid, cleared and reserved, in any order', () => {
    shipping.given(['reserved', 'fraud-cleared', 'placed', 'paid']).when('ready?').then(true);
    shipping.given(['paid', 'reserved', 'fraud-cleared', 'placed']).when('ready?').then(true);
  });
  it('to wait while any of the four is missing', () => {
    shipping.given(['placed', 'paid', 'reserved']).when('ready?').then(false);
    shipping.given(['paid', 'fraud-cleared', 'reserved']).when('ready?').then(false);
  });
  it('with a carrier that refuses the country XX and accepts others, the same way every time', () => {
    carrier.given(null).when('XX').thenMatches({ accepted: false, reasonCode: 'DESTINATION_NOT_SERVED' });
    carrier.given(null).when('DE').then({ accepted: true, carrier: 'SIMPOST', trackingNumber: 'SP00000000ABCD' });
  });
});
