import { CustomerEventTypes, CustomerPaymentStatuses, CustomerReasonCodes } from '../../contracts/customer-view.ts';

/** JSON schemas of the payments API: they validate requests and are published at /openapi.json. */
const party = (required: string[]) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 140 },
    account: {
      type: 'string',
      minLength: 1,
      maxLength: 42,
      description: 'IBAN (debtor: an account of this bank) or, for the creditor, an account number',
    },
    agent: { type: 'string', minLength: 8, maxLength: 11, description: 'BIC of the party’s bank' },
    country: { type: 'string', minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2' },
    postalAddress: {
      type: 'object',
      additionalProperties: false,
      required: ['townName', 'country'],
      description: 'ISO 20022 PostalAddress24 (subset); for screening and the Travel Rule',
      properties: {
        streetName: { type: 'string', minLength: 1, maxLength: 70 },
        buildingNumber: { type: 'string', minLength: 1, maxLength: 16 },
        postCode: { type: 'string', minLength: 1, maxLength: 16 },
        townName: { type: 'string', minLength: 1, maxLength: 35 },
        country: { type: 'string', minLength: 2, maxLength: 2 },
      },
    },
    dateOfBirth: { type: 'string', minLength: 10, maxLength: 10, description: 'YYYY-MM-DD (natural persons)' },
    placeOfBirth: {
      type: 'object',
      additionalProperties: false,
      required: ['city', 'country'],
      properties: { city: { type: 'string', minLength: 1, maxLength: 35 }, country: { type: 'string', minLength: 2, maxLength: 2 } },
    },
    nationalId: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'scheme'],
      description: 'Passport, national identity card or tax number, as ISO 20022 PersonIdentification13/Othr',
      properties: {
        id: { type: 'string', minLength: 1, maxLength: 35 },
        scheme: { type: 'string', enum: ['PASSPORT', 'NATIONAL_ID', 'TAX_ID', 'DRIVERS_LICENSE', 'OTHER'] },
        issuer: { type: 'string', minLength: 2, maxLength: 2, description: 'Issuing country, ISO 3166-1 alpha-2' },
      },
    },
  },
});

export const paymentRequestSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['amount', 'currency', 'debtor', 'creditor'],
  properties: {
    amount: { type: 'string', maxLength: 40, description: 'Decimal string, > 0, at most the currency’s minor units, e.g. "1250.50"' },
    currency: { type: 'string', minLength: 3, maxLength: 3, description: 'ISO 4217' },
    debtor: party(['name', 'account']),
    creditor: party(['name', 'account', 'agent', 'country']),
    remittanceInformation: { type: 'string', maxLength: 140 },
    endToEndId: { type: 'string', minLength: 1, maxLength: 35, pattern: "^[A-Za-z0-9/?:().,'+ -]+$" },
  },
} as const;

export const paymentAcceptedSchema = {
  type: 'object',
  properties: {
    paymentId: { type: 'string' },
    uetr: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['RECEIVED'] },
    correlationId: { type: 'string' },
    links: { type: 'object', properties: { self: { type: 'string' } } },
  },
} as const;

const partyView = {
  type: 'object',
  additionalProperties: true,
  properties: {
    name: { type: 'string' },
    account: { type: 'string' },
    agent: { type: ['string', 'null'] },
    country: { type: ['string', 'null'] },
  },
};

/**
 * The customer's view of a payment. Closed (`additionalProperties: false`, enums from
 * `customer-view.ts`): the response serializer drops any field not named here, so screening or
 * fraud evidence cannot reach a customer through this route even if a row carried it.
 */
export const paymentViewSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    paymentId: { type: 'string' },
    uetr: { type: 'string' },
    endToEndId: { type: 'string' },
    status: { type: 'string', enum: [...CustomerPaymentStatuses] },
    amount: { type: 'string' },
    currency: { type: 'string' },
    debtor: partyView,
    creditor: partyView,
    remittanceInformation: { type: ['string', 'null'] },
    correlationId: { type: 'string' },
    failure: {
      type: ['object', 'null'],
      additionalProperties: false,
      description:
        'Why the payment stopped (REJECTED, FAILED) or waits (ON_HOLD); null otherwise. A code the customer cannot act on reads PAYMENT_NOT_PROCESSED.',
      properties: { code: { type: 'string', enum: [...CustomerReasonCodes] }, reason: { type: 'string' } },
    },
    receivedAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    timeline: {
      type: 'array',
      description: 'The steps a customer sees, oldest first; the bank’s internal checks are not listed.',
      items: {
        type: 'object',
        additionalProperties: false,
        properties: {
          eventId: { type: 'string' },
          type: { type: 'string', enum: [...CustomerEventTypes] },
          at: { type: 'string', format: 'date-time' },
        },
      },
    },
  },
} as const;
