import type { PaymentOrder } from '../payment.ts';

/** A payment as the ledger reserves it, for tests: override what the test is about. */
export function samplePayment(overrides: Partial<PaymentOrder> = {}): PaymentOrder {
  return {
    paymentId: '0190f2a4-7c1e-7b3a-9d2e-5f6a7b8c9d0e',
    uetr: 'e3b0c442-98fc-4c14-9afb-f4c8996fb924',
    endToEndId: 'E2E-2024-0001',
    amountMinor: 125_050n,
    currency: 'EUR',
    debtor: { name: 'Ada Lovelace', account: 'DE89370400440532013000', agent: 'PSTRDEFFXXX', country: 'DE' },
    creditor: { name: 'Charles Babbage', account: 'FR1420041010050500013M02606', agent: 'BNPAFRPPXXX', country: 'FR' },
    remittanceInformation: 'Invoice 42',
    receivedAt: '2024-05-02T09:30:00.000Z',
    ...overrides,
  };
}
