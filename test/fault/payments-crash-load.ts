/**
 * The client side of the payments crash test: a seeded plan of payments (a mix whose outcome is
 * known in advance) and a client that submits them over HTTP the way a careful bank client does.
 * A request that fails because the gateway is down or restarting is sent again with the SAME
 * Idempotency-Key and body until it is answered, so each planned (logical) payment is one payment,
 * however many requests it took.
 *
 * A kill rarely lands between a payment's commit and its 202 (a window of microseconds), so the
 * client also loses some answers on purpose: for a seeded few payments it ignores the first 202
 * and asks again, as it would after a timeout. Each of those must be answered as a replay of the
 * same payment.
 */
import { externalCreditor } from '../support/platform-fixture.ts';
import { sleep } from './payments-crash-processes.ts';
import type { Random } from '../../src/backbone/testing/seeded-random.ts';

/** A seeded random source, so a failing run can be replayed with the seed it logged (mulberry32). */

export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/**
 * What a payment is meant to exercise, and so how it must end:
 * - `rtgs-settle`: to another bank over RTGS, settles → COMPLETED;
 * - `rtgs-reject`: the network rejects it (creditor name with REJECT) → FAILED, RTGS_REJECTED;
 * - `internal`: to another account of this bank, settled in the ledger → COMPLETED;
 * - `insufficient-funds`: more than any account holds → FAILED, INSUFFICIENT_FUNDS;
 * - `self-payment`: the debtor pays itself, which validation refuses → REJECTED.
 */
export type PaymentKind = 'rtgs-settle' | 'rtgs-reject' | 'internal' | 'insufficient-funds' | 'self-payment';

export const expectedOutcomes: Record<PaymentKind, { status: 'COMPLETED' | 'FAILED' | 'REJECTED'; reasonCode: string | null }> = {
  'rtgs-settle': { status: 'COMPLETED', reasonCode: null },
  'rtgs-reject': { status: 'FAILED', reasonCode: 'RTGS_REJECTED' },
  internal: { status: 'COMPLETED', reasonCode: null },
  'insufficient-funds': { status: 'FAILED', reasonCode: 'INSUFFICIENT_FUNDS' },
  'self-payment': { status: 'REJECTED', reasonCode: 'CREDITOR_ACCOUNT_INVALID' },
};

/** The share of each kind in the plan, in percent. */
const mix: readonly [PaymentKind, number][] = [
  ['rtgs-settle', 55],
  ['rtgs-reject', 10],
  ['internal', 20],
  ['insufficient-funds', 8],
  ['self-payment', 7],
];

/** Share of payments whose first answer the client ignores. */
const lostAnswerShare = 0.03;

/** Far above any balance the run can build (deposits plus every internal credit), below the validation limit. */
export const insufficientAmountMinor = 5_000_000_00n;

export interface PlannedPayment {
  index: number;
  kind: PaymentKind;
  idempotencyKey: string;
  debtor: string;
  creditorAccount: string;
  amountMinor: bigint;
  /** The request body, sent byte-for-byte the same on every attempt. */
  body: string;
  /** The client acts as if the first answer were lost, and asks again. */
  losesFirstAnswer: boolean;
}

export interface AcceptedPayment extends PlannedPayment {
  paymentId: string;
  uetr: string;
  /** HTTP requests it took (1 when the first was answered 202). */
  requests: number;
  /** True when the 202 said `idempotent-replayed`: an earlier request had made the payment. */
  replayed: boolean;
}

export function planPayments(random: Random, accounts: readonly string[], count: number, runTag: string): PlannedPayment[] {
  if (accounts.length < 2) throw new Error('the plan needs at least two accounts (internal transfers)');
  const planned: PlannedPayment[] = [];
  for (let index = 0; index < count; index++) {
    const kind = pickKind(random);
    const debtor = accounts[between(random, 0, accounts.length - 1)]!;
    const others = accounts.filter((account) => account !== debtor);
    const amountMinor = kind === 'insufficient-funds' ? insufficientAmountMinor : BigInt(between(random, 1_00, 99_99));
    const creditor =
      kind === 'internal'
        ? { name: 'Internal Payee', account: others[between(random, 0, others.length - 1)]!, agent: 'PAYSDEFFXXX', country: 'DE' }
        : kind === 'self-payment'
          ? { name: 'Myself', account: debtor, agent: 'PAYSDEFFXXX', country: 'DE' }
          : kind === 'rtgs-reject'
            ? { ...externalCreditor, name: 'Bob REJECT-AC04' }
            : externalCreditor;
    // Addresses on both sides: amounts above the Travel Rule threshold (EUR 1,000) must carry them.
    const body = JSON.stringify({
      amount: decimal(amountMinor),
      currency: 'EUR',
      debtor: { name: 'Crash Test Debtor', account: debtor, postalAddress: { townName: 'Frankfurt am Main', country: 'DE' } },
      creditor: { ...creditor, postalAddress: { townName: creditor.country === 'FR' ? 'Paris' : 'Berlin', country: creditor.country } },
      remittanceInformation: `crash ${runTag} #${index}`,
    });
    const losesFirstAnswer = random() < lostAnswerShare;
    planned.push({
      index,
      kind,
      idempotencyKey: `crash-${runTag}-${index}`,
      debtor,
      creditorAccount: creditor.account,
      amountMinor,
      body,
      losesFirstAnswer,
    });
  }
  return planned;
}

export interface SubmitOptions {
  /** The gateway's base URL. */
  url: string;
  apiKey: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** Paces the run: payment n is not sent before n / ratePerSecond seconds, so kills land throughout it. */
  ratePerSecond: number;
  /** A payment not answered 202 within this long (gateway down all that time) is given up, and the test fails. */
  giveUpAfterMs: number;
}

export interface SubmitReport {
  accepted: AcceptedPayment[];
  /** Answered with anything but 202 and not worth repeating (a 4xx): none are expected. */
  refused: { payment: PlannedPayment; status: number; body: string }[];
  /** Never answered 202 before `giveUpAfterMs`. */
  givenUp: PlannedPayment[];
  requests: number;
  /** Requests that failed (connection refused or reset, 5xx) and were sent again with the same key. */
  repeatedRequests: number;
  /** Logical payments whose 202 came from a repeated request answered as `idempotent-replayed`. */
  replayed: number;
  /** First answers the client ignored on purpose (see above). */
  answersLost: number;
  /** Payments whose repeated request named another payment, or was not marked as a replay, after a 202 had been given. */
  idempotencyBroken: string[];
  durationMs: number;
}

/** Submits every planned payment, `concurrency` at a time, repeating each until it is accepted. */
export async function submitAll(plan: readonly PlannedPayment[], options: SubmitOptions): Promise<SubmitReport> {
  const report: SubmitReport = {
    accepted: [],
    refused: [],
    givenUp: [],
    requests: 0,
    repeatedRequests: 0,
    replayed: 0,
    answersLost: 0,
    idempotencyBroken: [],
    durationMs: 0,
  };
  const startedAt = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < plan.length) {
      const payment = plan[next++]!;
      const dueInMs = startedAt + (payment.index * 1000) / options.ratePerSecond - Date.now();
      if (dueInMs > 0) await sleep(dueInMs);
      await submitOne(payment, options, report);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  report.accepted.sort((a, b) => a.index - b.index);
  report.durationMs = Date.now() - startedAt;
  return report;
}

async function submitOne(payment: PlannedPayment, options: SubmitOptions, report: SubmitReport): Promise<void> {
  const deadline = Date.now() + options.giveUpAfterMs;
  let lostPaymentId: string | undefined;
  for (let attempt = 1; ; attempt++) {
    report.requests++;
    if (attempt > 1) report.repeatedRequests++;
    const answer = await post(payment, options);
    if (answer.status === 202) {
      const body = JSON.parse(answer.body) as { paymentId: string; uetr: string };
      if (payment.losesFirstAnswer && lostPaymentId === undefined) {
        lostPaymentId = body.paymentId;
        report.answersLost++;
        continue;
      }
      if (lostPaymentId !== undefined && (lostPaymentId !== body.paymentId || !answer.replayed)) {
        report.idempotencyBroken.push(
          `${payment.idempotencyKey}: first 202 named ${lostPaymentId}, the repeat ${body.paymentId} (replayed: ${answer.replayed})`,
        );
      }
      if (answer.replayed) report.replayed++;
      report.accepted.push({ ...payment, paymentId: body.paymentId, uetr: body.uetr, requests: attempt, replayed: answer.replayed });
      return;
    }
    // 0: no answer (gateway down, connection reset mid-request); 5xx: it could not commit. Both are
    // exactly what the Idempotency-Key is for. A 4xx is an answer and would be the same again.
    if (answer.status !== 0 && answer.status < 500) {
      report.refused.push({ payment, status: answer.status, body: answer.body });
      return;
    }
    if (Date.now() > deadline) {
      report.givenUp.push(payment);
      return;
    }
    await sleep(100 + Math.min(attempt, 10) * 50);
  }
}

async function post(payment: PlannedPayment, options: SubmitOptions): Promise<{ status: number; body: string; replayed: boolean }> {
  try {
    const response = await fetch(`${options.url}/v1/payments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json', 'idempotency-key': payment.idempotencyKey },
      body: payment.body,
      signal: AbortSignal.timeout(10_000),
    });
    const body = await response.text();
    return { status: response.status, body, replayed: response.headers.get('idempotent-replayed') === 'true' };
  } catch {
    return { status: 0, body: '', replayed: false };
  }
}

function pickKind(random: Random): PaymentKind {
  let roll = random() * 100;
  for (const [kind, share] of mix) {
    roll -= share;
    if (roll < 0) return kind;
  }
  return mix[0]![0];
}

export function decimal(amountMinor: bigint): string {
  const sign = amountMinor < 0n ? '-' : '';
  const absolute = amountMinor < 0n ? -amountMinor : amountMinor;
  return `${sign}${absolute / 100n}.${String(absolute % 100n).padStart(2, '0')}`;
}
