import { randomUUID } from 'node:crypto';
import type { Database, SqlRunner } from '../../backbone/storage/database.ts';
import type { IdGenerator, Clock } from '../../backbone/clock/clock.ts';
import { GroupCommit } from '../../backbone/concurrency/group-commit.ts';
import { PaymentEventTypes, PaymentTopics } from '../../contracts/topics.ts';
import type { PaymentOrder } from '../../contracts/payment.ts';
import type { PaymentSubmitted } from '../../contracts/events.ts';
import type { CausedEvent, EventPublisher } from '../service.ts';
import { problemOf, type Problem } from '../http/problem.ts';
import { customerAccounts } from '../ledger/queries.ts';
import type { CheckedPaymentRequest } from './domain/payment-request.ts';
import { statusRank } from './handlers.ts';

export interface IntakeRequest {
  apiKeyId: string;
  idempotencyKey: string;
  requestSha256: string;
  checked: CheckedPaymentRequest;
  correlationId: string;
  traceparent: string | undefined;
}

export interface Accepted {
  paymentId: string;
  uetr: string;
  correlationId: string;
  /** True when this answers a repeat of an earlier request with the same Idempotency-Key. */
  replayed: boolean;
}

export type IntakeResult = { kind: 'accepted'; accepted: Accepted } | { kind: 'refused'; problem: Problem };

/**
 * Accepts payments: the payment row, its idempotency record and its `payments.submitted` event
 * commit in one transaction, shared by every request that arrived while the previous one was
 * committing (group commit). A request the database refuses (unknown debtor account, a reused
 * Idempotency-Key) is refused alone; the others of its group go on.
 */
export class PaymentIntake {
  readonly #db: Database;
  readonly #publisher: EventPublisher;
  readonly #ids: IdGenerator;
  readonly #clock: Clock;
  readonly #group: GroupCommit<IntakeRequest, IntakeResult>;

  constructor(deps: { db: Database; publisher: EventPublisher; ids: IdGenerator; clock: Clock }, options: { maxBatchItems?: number } = {}) {
    this.#db = deps.db;
    this.#publisher = deps.publisher;
    this.#ids = deps.ids;
    this.#clock = deps.clock;
    this.#group = new GroupCommit((requests) => this.#db.transaction((tx) => this.#acceptAll(tx, requests)), {
      maxBatchItems: options.maxBatchItems ?? 200,
    });
  }

  accept(request: IntakeRequest): Promise<IntakeResult> {
    return this.#group.submit(request);
  }

  async #acceptAll(tx: SqlRunner, requests: IntakeRequest[]): Promise<IntakeResult[]> {
    const known = await customerAccounts(
      tx,
      requests.map((r) => r.checked.debtor.account),
    );
    const results: (IntakeResult | { kind: 'claiming' | 'same-key'; order: PaymentOrder; request: IntakeRequest })[] = [];
    const claimedHere = new Map<string, { order: PaymentOrder; request: IntakeRequest }>();
    for (const request of requests) {
      if (!known.has(request.checked.debtor.account)) {
        results.push({
          kind: 'refused',
          problem: problemOf('unknown-debtor-account', 'the debtor account is not an account of this bank', '/debtor/account'),
        });
        continue;
      }
      const sameBatch = claimedHere.get(idempotencyKeyOf(request));
      if (sameBatch) {
        // Answered once the batch's claim is known: as the payment made here, or as the one before.
        results.push({ kind: 'same-key', order: sameBatch.order, request });
        continue;
      }
      const order = this.#orderOf(request);
      claimedHere.set(idempotencyKeyOf(request), { order, request });
      results.push({ kind: 'claiming', order, request });
    }
    // One insert claims every key of the batch; a key claimed before (another batch) is replayed.
    const claiming = [...claimedHere.values()];
    const claimed = await tx.query<{ api_key_id: string; idempotency_key: string }>(
      `insert into payment_idempotency_keys (api_key_id, idempotency_key, request_sha256, payment_id)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[]) on conflict do nothing returning api_key_id, idempotency_key`,
      [
        claiming.map(({ request }) => request.apiKeyId),
        claiming.map(({ request }) => request.idempotencyKey),
        claiming.map(({ request }) => request.requestSha256),
        claiming.map(({ order }) => order.paymentId),
      ],
    );
    const won = new Set(claimed.rows.map((row) => `${row.api_key_id}\u0000${row.idempotency_key}`));
    const fresh: { order: PaymentOrder; request: IntakeRequest }[] = [];
    const answers: IntakeResult[] = [];
    for (const result of results) {
      if (!('request' in result)) {
        answers.push(result);
      } else if (!won.has(idempotencyKeyOf(result.request))) {
        answers.push(await this.#replay(tx, result.request));
      } else if (result.kind === 'same-key') {
        const first = claimedHere.get(idempotencyKeyOf(result.request))!;
        answers.push(
          first.request.requestSha256 === result.request.requestSha256
            ? {
                kind: 'accepted',
                accepted: {
                  paymentId: first.order.paymentId,
                  uetr: first.order.uetr,
                  correlationId: first.request.correlationId,
                  replayed: true,
                },
              }
            : {
                kind: 'refused',
                problem: problemOf('idempotency-key-reused', 'this Idempotency-Key was used with a different request body'),
              },
        );
      } else {
        fresh.push(result);
        answers.push({
          kind: 'accepted',
          accepted: {
            paymentId: result.order.paymentId,
            uetr: result.order.uetr,
            correlationId: result.request.correlationId,
            replayed: false,
          },
        });
      }
    }
    await this.#insertPayments(tx, fresh);
    return answers;
  }

  async #replay(tx: SqlRunner, request: IntakeRequest): Promise<IntakeResult> {
    const existing = await tx.query<{ request_sha256: string; payment_id: string; uetr: string; correlation_id: string }>(
      `select k.request_sha256, p.payment_id, p.uetr, p.correlation_id from payment_idempotency_keys k join payments p using (payment_id)
       where k.api_key_id = $1 and k.idempotency_key = $2`,
      [request.apiKeyId, request.idempotencyKey],
    );
    const row = existing.rows[0];
    if (!row) throw new Error('gateway invariant broken: an idempotency key without its payment');
    if (row.request_sha256 !== request.requestSha256)
      return {
        kind: 'refused',
        problem: problemOf('idempotency-key-reused', 'this Idempotency-Key was used with a different request body'),
      };
    return { kind: 'accepted', accepted: { paymentId: row.payment_id, uetr: row.uetr, correlationId: row.correlation_id, replayed: true } };
  }

  async #insertPayments(tx: SqlRunner, fresh: { order: PaymentOrder; request: IntakeRequest }[]): Promise<void> {
    if (fresh.length === 0) return;
    // The idempotency rows were inserted first: their foreign key to payments is checked at commit.
    await tx.query(
      `insert into payments (payment_id, uetr, correlation_id, api_key_id, debtor_account, amount_minor, currency, payment_order, status, status_rank, received_at)
       select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::jsonb[], $9::text[], $10::int[], $11::timestamptz[])`,
      [
        fresh.map(({ order }) => order.paymentId),
        fresh.map(({ order }) => order.uetr),
        fresh.map(({ request }) => request.correlationId),
        fresh.map(({ request }) => request.apiKeyId),
        fresh.map(({ order }) => order.debtor.account),
        fresh.map(({ order }) => order.amountMinor.toString()),
        fresh.map(({ order }) => order.currency),
        fresh.map(({ order }) => JSON.stringify({ ...order, amountMinor: order.amountMinor.toString() })),
        fresh.map(() => 'RECEIVED'),
        fresh.map(() => statusRank.RECEIVED),
        fresh.map(({ order }) => order.receivedAt),
      ],
    );
    const events: CausedEvent[] = fresh.map(({ order, request }) => ({
      event: {
        topic: PaymentTopics.submitted,
        eventType: PaymentEventTypes[PaymentTopics.submitted],
        key: order.debtor.account,
        payload: { payment: order } satisfies PaymentSubmitted,
      },
      cause: { correlationId: request.correlationId, ...(request.traceparent ? { traceparent: request.traceparent } : {}) },
    }));
    await this.#publisher.publishEach(tx, events);
  }

  #orderOf(request: IntakeRequest): PaymentOrder {
    const paymentId = this.#ids.eventId();
    const { checked } = request;
    return {
      paymentId,
      uetr: randomUUID(),
      // ISO 20022 Max35Text: the UUID without its dashes (32 characters).
      endToEndId: checked.endToEndId ?? paymentId.replaceAll('-', ''),
      amountMinor: checked.amountMinor,
      currency: checked.currency,
      debtor: checked.debtor,
      creditor: checked.creditor,
      remittanceInformation: checked.remittanceInformation,
      receivedAt: new Date(this.#clock.nowMs()).toISOString(),
    };
  }
}

function idempotencyKeyOf(request: IntakeRequest): string {
  return `${request.apiKeyId}\u0000${request.idempotencyKey}`;
}
