import type { FastifyInstance } from 'fastify';
import { isValidIBAN } from 'ibantools';
import type { Database } from '../../backbone/storage/database.ts';
import type { IdGenerator } from '../../backbone/clock/clock.ts';
import { formatDecimal, isPayableCurrency, parseAmountField } from '../../contracts/money.ts';
import { ProblemError } from '../http/problem.ts';
import { problemResponses } from '../http/openapi.ts';
import { cursorParameter, decodeCursor, encodeCursor, limitParameter, nextCursorSchema, pageOf, parseLimit } from '../http/pagination.ts';
import { Scopes, type RequireScope } from '../http/scopes.ts';
import { availableMinor, bankAccounts, depositPostings } from './domain/ledger.ts';
import {
  findAccount,
  lockAccounts,
  openAccount,
  postEntry,
  readStatement,
  trialBalance,
  type AccountRow,
  type StatementLine,
} from './ledger-store.ts';
import { issueIban, normalizeIban, type IbanIssuer } from './iban.ts';

export interface LedgerRoutesOptions {
  db: Database;
  ids: IdGenerator;
  requireScope: RequireScope;
  ibanIssuer: IbanIssuer;
}

const accountSchema = {
  type: 'object',
  properties: {
    iban: { type: 'string' },
    name: { type: 'string' },
    currency: { type: 'string' },
    status: { type: 'string', enum: ['open', 'closed'] },
    balance: { type: 'string', description: 'Decimal string in the account currency' },
    reserved: { type: 'string' },
    available: { type: 'string' },
    overdraftLimit: { type: 'string' },
    openedAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** The accounts API of the core-banking ledger: open, fund, read; and the trial balance. */
export function ledgerRoutes(options: LedgerRoutesOptions) {
  const { db, ids, requireScope, ibanIssuer } = options;
  return async (app: FastifyInstance) => {
    app.post<{ Body: { name: string; currency: string; iban?: string; overdraftLimit?: string; email?: string; phone?: string } }>(
      '/v1/accounts',
      {
        preValidation: requireScope(Scopes.accountsAdmin),
        schema: {
          tags: ['accounts'],
          operationId: 'openAccount',
          summary: 'Open an account of this bank',
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'currency'],
            properties: {
              name: { type: 'string', minLength: 1, maxLength: 140 },
              currency: { type: 'string', minLength: 3, maxLength: 3 },
              iban: { type: 'string', maxLength: 42, description: 'Generated when absent' },
              overdraftLimit: { type: 'string', maxLength: 40, description: 'Decimal string; default "0"' },
              email: { type: 'string', format: 'email', maxLength: 254 },
              phone: { type: 'string', pattern: '^\\+[1-9][0-9]{6,14}$' },
            },
          },
          response: { 201: accountSchema, ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503) },
        },
      },
      async (request, reply) => {
        const body = request.body;
        if (!isPayableCurrency(body.currency))
          throw new ProblemError('unknown-currency', `${body.currency} is not an active ISO 4217 currency`, '/currency');
        const overdraft = parseAmountField(body.overdraftLimit ?? '0', body.currency, 'overdraftLimit', { positive: false });
        if (!overdraft.ok) throw new ProblemError(overdraft.code, overdraft.detail, '/overdraftLimit');
        const iban = body.iban === undefined ? issueIban(ibanIssuer) : normalizeIban(body.iban);
        if (!isValidIBAN(iban)) throw new ProblemError('invalid-iban', 'the iban is not a valid IBAN', '/iban');
        const opened = await db.transaction((tx) =>
          openAccount(tx, {
            accountId: iban,
            name: body.name,
            currency: body.currency,
            overdraftLimitMinor: overdraft.amountMinor,
            email: body.email,
            phone: body.phone,
          }),
        );
        if (!opened) throw new ProblemError('conflict', `an account with IBAN ${iban} exists`, '/iban');
        const account = await findAccount(db, iban);
        return reply.code(201).header('location', `/v1/accounts/${iban}`).send(accountView(account!));
      },
    );

    app.post<{ Params: { iban: string }; Body: { amount: string; currency?: string; reference?: string } }>(
      '/v1/accounts/:iban/deposits',
      {
        preValidation: requireScope(Scopes.accountsAdmin),
        schema: {
          operationId: 'depositToAccount',
          tags: ['accounts'],
          summary: "Fund an account from the bank's funding account",
          description: 'With an Idempotency-Key header, a repeated request makes one deposit.',
          params: { type: 'object', properties: { iban: { type: 'string' } } },
          headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } } },
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['amount'],
            properties: {
              amount: { type: 'string', maxLength: 40 },
              currency: { type: 'string', minLength: 3, maxLength: 3 },
              reference: {
                type: 'string',
                minLength: 1,
                maxLength: depositReferenceMaxLength,
                description:
                  'Shown on the statement: printable text without leading or trailing spaces (ISO 20022 unstructured remittance, Max140Text)',
              },
            },
          },
          response: {
            201: { type: 'object', properties: { entryId: { type: 'string' }, account: accountSchema } },
            ...problemResponses(400, 401, 403, 404, 413, 415, 422, 503),
          },
        },
      },
      async (request, reply) => {
        const iban = normalizeIban(request.params.iban);
        const account = await findAccount(db, iban);
        if (!account || account.kind !== 'customer') throw new ProblemError('not-found', `no account ${iban}`);
        if (request.body.currency !== undefined && request.body.currency !== account.currency)
          throw new ProblemError('currency-mismatch', `the account is in ${account.currency}`, '/currency');
        const amount = parseAmountField(request.body.amount, account.currency, 'amount', { positive: true });
        if (!amount.ok) throw new ProblemError(amount.code, amount.detail, '/amount');
        const customerReference = request.body.reference ?? null;
        if (customerReference !== null) checkDepositReference(customerReference);
        const idempotencyKey = request.headers['idempotency-key'];
        const entryId = ids.eventId();
        await db.transaction(async (tx) => {
          await lockAccounts(tx, [iban]);
          await postEntry(tx, {
            entryId,
            kind: 'deposit',
            paymentId: null,
            reference: typeof idempotencyKey === 'string' ? `${iban}:${idempotencyKey}` : entryId,
            customerReference,
            currency: account.currency,
            postings: depositPostings(bankAccounts.funding(account.currency), iban, amount.amountMinor),
          });
        });
        return reply.code(201).send({ entryId, account: accountView((await findAccount(db, iban))!) });
      },
    );

    app.get<{ Params: { iban: string } }>(
      '/v1/accounts/:iban',
      {
        preValidation: requireScope(Scopes.paymentsRead),
        schema: {
          operationId: 'getAccount',
          tags: ['accounts'],
          summary: 'Balance, reserved and available amounts of an account',
          params: { type: 'object', properties: { iban: { type: 'string' } } },
          response: { 200: accountSchema, ...problemResponses(401, 403, 404, 503) },
        },
      },
      async (request) => {
        const account = await findAccount(db, normalizeIban(request.params.iban));
        if (!account || account.kind !== 'customer') throw new ProblemError('not-found', `no account ${request.params.iban}`);
        return accountView(account);
      },
    );

    app.get<{ Params: { iban: string }; Querystring: { limit?: string; cursor?: string } }>(
      '/v1/accounts/:iban/transactions',
      {
        preValidation: requireScope(Scopes.paymentsRead),
        schema: {
          operationId: 'listAccountTransactions',
          tags: ['accounts'],
          summary: "An account's statement: its postings, newest first",
          description:
            'Deposits, settled payments and internal transfers as they were booked. Cursor-paginated: pass `nextCursor` as `cursor` until it is null.',
          params: { type: 'object', required: ['iban'], properties: { iban: { type: 'string', maxLength: 42 } } },
          querystring: {
            type: 'object',
            additionalProperties: false,
            properties: { limit: limitParameter(statementPageLimits), cursor: cursorParameter },
          },
          response: {
            200: {
              type: 'object',
              required: ['transactions', 'nextCursor'],
              properties: { transactions: { type: 'array', items: statementLineSchema }, nextCursor: nextCursorSchema },
            },
            ...problemResponses(400, 401, 403, 404, 503),
          },
        },
      },
      async (request) => {
        const iban = normalizeIban(request.params.iban);
        const account = await findAccount(db, iban);
        if (!account || account.kind !== 'customer') throw new ProblemError('not-found', `no account ${request.params.iban}`);
        const beforeSeq =
          request.query.cursor === undefined ? null : BigInt(decodeCursor(request.query.cursor, 1, /^[1-9][0-9]{0,18}$/)[0]!);
        const limit = parseLimit(request.query.limit, statementPageLimits);
        const rows = await readStatement(db, { accountId: iban, beforeSeq, limit: limit + 1 });
        const page = pageOf(rows, limit, (line) => encodeCursor([line.statementSeq.toString()]));
        return { transactions: page.items.map(statementLineView), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/ledger/trial-balance',
      {
        preValidation: requireScope(Scopes.ops),
        schema: {
          tags: ['ledger'],
          operationId: 'getTrialBalance',
          summary: 'Totals of debits and credits over all accounts, per currency',
          response: {
            200: {
              type: 'object',
              properties: {
                balanced: { type: 'boolean' },
                currencies: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      currency: { type: 'string' },
                      debits: { type: 'string' },
                      credits: { type: 'string' },
                      balanced: { type: 'boolean' },
                    },
                  },
                },
              },
            },
            ...problemResponses(401, 403, 503),
          },
        },
      },
      async () => {
        const lines = await trialBalance(db);
        const currencies = lines.map((line) => ({
          currency: line.currency,
          debits: formatDecimal(line.debitsMinor, line.currency),
          credits: formatDecimal(line.creditsMinor, line.currency),
          balanced: line.debitsMinor === line.creditsMinor,
        }));
        return { balanced: currencies.every((line) => line.balanced), currencies };
      },
    );
  };
}

/** ISO 20022 unstructured remittance information (Max140Text). */
const depositReferenceMaxLength = 140;

const statementPageLimits = { max: 500, default: 50 };

const statementLineSchema = {
  type: 'object',
  required: ['entryId', 'kind', 'direction', 'amount', 'currency', 'paymentId', 'reference', 'bookedAt'],
  properties: {
    entryId: { type: 'string', description: 'The journal entry' },
    kind: { type: 'string', enum: ['deposit', 'settlement', 'internal-transfer', 'loan-disbursement'] },
    direction: { type: 'string', enum: ['credit', 'debit'] },
    amount: { type: 'string', description: 'Signed decimal string in the account currency: credits positive, debits negative' },
    currency: { type: 'string' },
    paymentId: { type: ['string', 'null'], description: 'The payment settled, for settlements and internal transfers' },
    reference: { type: ['string', 'null'], description: "A deposit's reference, as given" },
    bookedAt: { type: 'string', format: 'date-time' },
  },
} as const;

/**
 * A deposit's reference goes on statements and into exports: printable characters only (no control
 * characters, which would break a line or a CSV field), and no surrounding spaces, which would make
 * two references that read the same differ.
 */
function checkDepositReference(reference: string): void {
  if (/[\p{C}\p{Zl}\p{Zp}]/u.test(reference))
    throw new ProblemError(
      'invalid-field',
      'reference must be printable text (no control, format, line-separator or unassigned characters)',
      '/reference',
    );
  if (reference.trim() !== reference)
    throw new ProblemError('invalid-field', 'reference must not begin or end with white space', '/reference');
}

function statementLineView(line: StatementLine) {
  return {
    entryId: line.entryId,
    kind: line.kind,
    direction: line.amountMinor > 0n ? 'credit' : 'debit',
    amount: formatDecimal(line.amountMinor, line.currency),
    currency: line.currency,
    paymentId: line.paymentId,
    reference: line.customerReference,
    bookedAt: line.bookedAt.toISOString(),
  };
}

function accountView(account: AccountRow) {
  const format = (amountMinor: bigint) => formatDecimal(amountMinor, account.currency);
  return {
    iban: account.accountId,
    name: account.name,
    currency: account.currency,
    status: account.status,
    balance: format(account.balanceMinor),
    reserved: format(account.reservedMinor),
    available: format(availableMinor(account)),
    overdraftLimit: format(account.overdraftLimitMinor ?? 0n),
    openedAt: account.openedAt.toISOString(),
  };
}
