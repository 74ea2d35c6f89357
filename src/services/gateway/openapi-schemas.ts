/** JSON schemas of the payments API: they validate requests and are published at /openapi.json. */
const party = (required: string[]) => ({
  type: 'object',
  additionalProperties: false,
  required,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 140 },
    account: { type: 'string', minLength: 1, maxLength: 42, description: 'IBAN (debtor: an account of this bank) or, for the creditor, an account number' },
    agent: { type: 'string', minLength: 8, maxLength: 11, description: 'BIC of the party’s bank' },
    country: { type: 'string', minLength: 2, maxLength: 2, description: 'ISO 3166-1 alpha-2' },
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

const partyView = { type: 'object', properties: { name: { type: 'string' }, account: { type: 'string' }, agent: { type: ['string', 'null'] }, country: { type: ['string', 'null'] } } };

export const paymentViewSchema = {
  type: 'object',
  properties: {
    paymentId: { type: 'string' },
    uetr: { type: 'string' },
    endToEndId: { type: 'string' },
    status: { type: 'string', enum: ['RECEIVED', 'VALIDATED', 'RESERVED', 'SUBMITTED', 'COMPLETED', 'REJECTED', 'FAILED', 'BLOCKED', 'HELD_FOR_REVIEW'] },
    amount: { type: 'string' },
    currency: { type: 'string' },
    debtor: partyView,
    creditor: partyView,
    remittanceInformation: { type: ['string', 'null'] },
    correlationId: { type: 'string' },
    failure: { type: ['object', 'null'], properties: { code: { type: 'string' }, reason: { type: 'string' } } },
    receivedAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    timeline: {
      type: 'array',
      items: { type: 'object', properties: { eventId: { type: 'string' }, type: { type: 'string' }, topic: { type: 'string' }, at: { type: 'string', format: 'date-time' } } },
    },
  },
} as const;
