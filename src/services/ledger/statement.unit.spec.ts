import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Fastify, { type FastifyInstance, type preHandlerHookHandler } from 'fastify';
import { PgliteDatabase } from '../../backbone/storage-pglite/pglite-database.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { uuidV7Ids } from '../../backbone/clock/clock.ts';
import { installProblemErrorHandler } from '../http/error-handler.ts';
import { problemOf, sendProblem } from '../http/problem.ts';
import { ledgerMigrations } from './migrations.ts';
import { ledgerRoutes } from './routes.ts';
import { lockAccounts, postEntry } from './ledger-store.ts';
import { bankAccounts, settlementPostings } from './domain/ledger.ts';
import { defaultIbanIssuer } from './iban.ts';

/** A stand-in for the API's auth layer: the caller's scopes come in a test header. */
const requireScope =
  (scope: string): preHandlerHookHandler =>
  (request, reply, done) => {
    if (
      String(request.headers['x-test-scopes'] ?? '')
        .split(' ')
        .includes(scope)
    )
      return done();
    void sendProblem(reply, problemOf('missing-scope', `this call needs ${scope}`));
  };
const admin = { 'x-test-scopes': 'accounts:admin payments:read' };
const reader = { 'x-test-scopes': 'payments:read' };

// Deposits with a reference and the account statement, on PGlite through the ledger's real routes,
// validated as the API server validates (no coercion, no defaults).
describe('deposit references and the account statement', () => {
  let db: PgliteDatabase;
  let app: FastifyInstance;

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    await migrate(db, 'ledger', ledgerMigrations);
    app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } } });
    installProblemErrorHandler(app, () => {});
    await ledgerRoutes({ db, ids: uuidV7Ids, requireScope, ibanIssuer: defaultIbanIssuer })(app);
  });

  afterAll(async () => {
    await app?.close();
    await db?.close();
  });

  const openAccount = async (name: string): Promise<string> => {
    const opened = await app.inject({ method: 'POST', url: '/v1/accounts', headers: admin, payload: { name, currency: 'EUR' } });
    expect(opened.statusCode, opened.body).toBe(201);
    return opened.json().iban as string;
  };
  const deposit = (iban: string, body: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: `/v1/accounts/${iban}/deposits`, headers: admin, payload: body });
  const statement = (iban: string, query = '') =>
    app.inject({ method: 'GET', url: `/v1/accounts/${iban}/transactions${query}`, headers: reader });

  it('shows a deposit with its reference on the statement, newest first, with a settled payment', async () => {
    const iban = await openAccount('Alice Example');
    expect((await deposit(iban, { amount: '500.00', reference: 'Salary November 2026 / ACME GmbH' })).statusCode).toBe(201);
    await db.transaction(async (tx) => {
      await lockAccounts(tx, [iban]);
      await postEntry(tx, {
        entryId: uuidV7Ids.eventId(),
        kind: 'settlement',
        paymentId: 'payment-1',
        reference: 'payment-1',
        currency: 'EUR',
        postings: settlementPostings(iban, bankAccounts.rtgsSettlement('EUR'), 12_345n),
      });
    });

    const response = await statement(iban);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      transactions: [
        {
          entryId: expect.any(String),
          kind: 'settlement',
          direction: 'debit',
          amount: '-123.45',
          currency: 'EUR',
          paymentId: 'payment-1',
          reference: null,
          bookedAt: expect.any(String),
        },
        {
          entryId: expect.any(String),
          kind: 'deposit',
          direction: 'credit',
          amount: '500.00',
          currency: 'EUR',
          paymentId: null,
          reference: 'Salary November 2026 / ACME GmbH',
          bookedAt: expect.any(String),
        },
      ],
      nextCursor: null,
    });
    expect(new Date(response.json().transactions[0].bookedAt).toISOString()).toBe(response.json().transactions[0].bookedAt);
  });

  it('reaches every posting exactly once, page by page, in the order of the whole statement', async () => {
    const iban = await openAccount('Bob Example');
    for (let index = 1; index <= 23; index++)
      expect((await deposit(iban, { amount: `${index}.00`, reference: `deposit ${index}` })).statusCode).toBe(201);
    const whole = (await statement(iban, '?limit=500')).json();
    expect(whole.transactions).toHaveLength(23);
    expect(whole.transactions.map((line: { reference: string }) => line.reference)).toEqual(
      Array.from({ length: 23 }, (_, index) => `deposit ${23 - index}`),
    );

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await statement(iban, `?limit=5${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      expect(response.statusCode, response.body).toBe(200);
      const page = response.json() as { transactions: { entryId: string }[]; nextCursor: string | null };
      seen.push(...page.transactions.map((line) => line.entryId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(5);
    expect(seen).toEqual(whole.transactions.map((line: { entryId: string }) => line.entryId));
    expect(new Set(seen).size).toBe(23);
  });

  it.each([
    ['141 characters', 'x'.repeat(141), /must NOT have more than 140 characters/],
    ['an empty reference', '', /must NOT have fewer than 1 characters/],
    ['a line break', 'rent\nDecember', /printable/],
    ['a leading space', ' rent', /white space/],
    ['a trailing space', 'rent ', /white space/],
  ])('refuses a deposit reference of %s with a 400 naming the field, and books nothing', async (_case, reference, detail) => {
    const iban = await openAccount('Carol Example');
    const response = await deposit(iban, { amount: '10.00', reference });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      status: 400,
      code: 'invalid-field',
      pointer: '/reference',
      detail: expect.stringMatching(detail),
    });
    expect((await statement(iban)).json().transactions).toEqual([]);
  });

  it('accepts a reference of exactly 140 characters, in any script', async () => {
    const iban = await openAccount('Dora Example');
    const reference = 'Miete Dezember – Müller ' + 'é'.repeat(140 - 24);
    expect((await deposit(iban, { amount: '10.00', reference })).statusCode).toBe(201);
    expect((await statement(iban)).json().transactions[0].reference).toBe(reference);
  });

  it('answers an unknown account with a 404 problem', async () => {
    const response = await statement('DE89370400440532013000');
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ status: 404, code: 'not-found', detail: 'no account DE89370400440532013000' });
  });

  it.each([
    ['?limit=0', 'limit'],
    ['?limit=501', 'limit'],
    ['?limit=ten', 'limit'],
    ['?limit=-1', 'limit'],
    ['?cursor=not-a-cursor', 'cursor'],
    [`?cursor=${Buffer.from('["0"]').toString('base64url')}`, 'cursor'],
    ['?after=1', '/after'],
  ])('refuses %s with a 400 naming the parameter', async (query, pointer) => {
    const iban = await openAccount('Erin Example');
    const response = await statement(iban, query);
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({ status: 400, pointer });
  });

  it('needs the scope that reads an account', async () => {
    const iban = await openAccount('Frank Example');
    const response = await app.inject({
      method: 'GET',
      url: `/v1/accounts/${iban}/transactions`,
      headers: { 'x-test-scopes': 'payments:write' },
    });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toMatchObject({ code: 'missing-scope' });
  });
});
