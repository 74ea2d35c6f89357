import type { PaymentStatus, SettlementRoute } from '../../../contracts/payment.ts';

/**
 * Reconciliation of one business day, as a pure function of what the four sources say: our ledger
 * (the journal entries that posted payments), the payments' final statuses (the gateway's
 * projection), the RTGS network's camt.053 statement, and the screening decisions. Every
 * disagreement is a break; the caller loads the sources and stores the report.
 *
 * What is compared:
 * - statement ↔ ledger, RTGS payments only: each debit booked on our settlement account at the
 *   network must be a `settlement` journal entry of the same UETR, amount and currency, and each
 *   `settlement` entry posted that day must be booked in the statement. Internal transfers settle
 *   in house and never reach the network, so the statement side ignores them.
 * - ledger ↔ status, every route: a posted payment is COMPLETED, a COMPLETED payment is posted,
 *   for the amount the payment was accepted for.
 * - screening: a payment that completed that day has a screening decision, when the screening
 *   decisions are known at all (`screeningDecisions` undefined: the check is "not checked").
 *
 * A posting and its settlement may fall either side of midnight (the network settles at 23:59:59,
 * our consumer posts at 00:00:01). Such a pair is not a break but a timing difference, listed
 * apart, when the other side is found on another day: the caller passes ledger entries of any day
 * that belong to the day's statement and payments, and the network's own settlement date of our
 * postings (from its pacs.002).
 */
export function reconcile(date: string, sources: ReconciliationSources): ReconciliationReport {
  const books = new Books(date, sources);
  books.checkStatement();
  books.checkPostingsOfTheDay();
  books.checkPaymentsOfTheDay();
  return books.report();
}

/** The closed list of break kinds. */
export const BreakKinds = {
  /** The network settled (debited our settlement account) a payment our ledger has not posted. */
  SETTLED_NOT_POSTED: 'SETTLED_NOT_POSTED',
  /** Our ledger posted an RTGS settlement that the network's statement does not book. */
  POSTED_NOT_SETTLED: 'POSTED_NOT_SETTLED',
  /** Both sides have it, for different amounts or currencies (statement ↔ ledger, or ledger ↔ payment). */
  AMOUNT_MISMATCH: 'AMOUNT_MISMATCH',
  /** The payment's status disagrees with the ledger: posted but not COMPLETED, or COMPLETED but not posted. */
  STATUS_MISMATCH: 'STATUS_MISMATCH',
  /** A payment completed without a screening decision on record. */
  COMPLETED_WITHOUT_SCREENING: 'COMPLETED_WITHOUT_SCREENING',
  /** The statement books the same UETR more than once: the network settled it twice. */
  DUPLICATE_SETTLEMENT: 'DUPLICATE_SETTLEMENT',
} as const;
export type BreakKind = (typeof BreakKinds)[keyof typeof BreakKinds];

export interface ReconciliationSources {
  /**
   * Journal entries that posted a payment (`settlement` for RTGS, `internal-transfer` in house):
   * every entry posted on the day, plus entries of other days that belong to the day's statement
   * or to the payments of the day (for timing differences).
   */
  ledgerSettlements: readonly LedgerSettlement[];
  /**
   * Payments that became terminal on the day (`terminalOn` = the day), plus payments of other days
   * that the statement or the ledger entries name (so a break can say what became of them).
   */
  payments: readonly PaymentRecord[];
  /** The entries of the day's camt.053 for our settlement account. */
  statement: readonly StatementRecord[];
  /** Ids of the day's completed payments that have a screening decision; undefined: unknown. */
  screeningDecisions: ReadonlySet<string> | undefined;
}

export interface LedgerSettlement {
  paymentId: string;
  /** The payment's UETR; undefined when neither the payment nor an RTGS submission is on record. */
  uetr: string | undefined;
  /** What the entry moved: the sum of its credit postings. */
  amountMinor: bigint;
  currency: string;
  kind: 'settlement' | 'internal-transfer';
  /** UTC date the entry was posted. */
  postedOn: string;
  /** The settlement date the network gave in its pacs.002 (RTGS only), when known. */
  networkSettlementDate?: string | undefined;
}

export interface PaymentRecord {
  paymentId: string;
  uetr: string;
  status: PaymentStatus | string;
  amountMinor: bigint;
  currency: string;
  /** From the ledger's hold; undefined when the payment never reached the ledger. */
  route: SettlementRoute | undefined;
  /** UTC date the status became terminal; undefined while it is not. */
  terminalOn: string | undefined;
}

export interface StatementRecord {
  /** TxDtls/Refs/UETR; undefined when the entry does not carry one. */
  uetr: string | undefined;
  endToEndId?: string | undefined;
  /** Positive minor units. */
  amountMinor: bigint;
  currency: string;
  /** DBIT: our account paid (our outgoing payments); CRDT: it received. */
  creditDebit: 'CRDT' | 'DBIT';
  /** AcctSvcrRef: the network's reference of the booking. */
  reference?: string | undefined;
}

export interface Break {
  kind: BreakKind;
  paymentId?: string | undefined;
  uetr: string | undefined;
  /** One sentence an operator can act on. Names no person or account. */
  detail: string;
  currency?: string | undefined;
  ledgerAmountMinor?: bigint | undefined;
  statementAmountMinor?: bigint | undefined;
  paymentAmountMinor?: bigint | undefined;
  paymentStatus?: string | undefined;
}

/** Two sides that agree but were recorded on different business days. Not a break. */
export interface TimingDifference {
  paymentId: string | undefined;
  uetr: string | undefined;
  detail: string;
  postedOn?: string | undefined;
  settledOn?: string | undefined;
}

export interface ReconciliationCounts {
  /** `settlement` entries posted on the day. */
  ledgerSettlements: number;
  /** `internal-transfer` entries posted on the day. */
  ledgerInternalTransfers: number;
  /** Payments that became terminal on the day. */
  paymentsTerminal: number;
  paymentsCompleted: number;
  /** Debits of our account in the statement: our outgoing RTGS settlements. */
  statementDebits: number;
  /** Credits of our account: incoming transfers, which paystream does not book (yet); counted only. */
  statementCreditsNotReconciled: number;
  /** Statement debits matched to a ledger entry with the same amount and currency. */
  matched: number;
  breaks: number;
  breaksByKind: Record<BreakKind, number>;
  timingDifferences: number;
}

export interface ReconciliationReport {
  date: string;
  /** No breaks. Timing differences do not make a day unclean. */
  clean: boolean;
  /** Whether completed payments were checked for a screening decision. */
  screening: 'checked' | 'not-checked';
  counts: ReconciliationCounts;
  breaks: Break[];
  timingDifferences: TimingDifference[];
}

const completed = 'COMPLETED';

/** The day's books, indexed, and the breaks found so far. */
class Books {
  readonly #date: string;
  readonly #sources: ReconciliationSources;
  readonly #paymentsById = new Map<string, PaymentRecord>();
  readonly #paymentsByUetr = new Map<string, PaymentRecord>();
  readonly #postingsByPayment = new Map<string, LedgerSettlement[]>();
  readonly #settlementsByUetr = new Map<string, LedgerSettlement[]>();
  readonly #debitsByUetr = new Map<string, StatementRecord[]>();
  readonly #breaks: Break[] = [];
  readonly #reported = new Set<string>();
  readonly #timing: TimingDifference[] = [];
  #matched = 0;

  constructor(date: string, sources: ReconciliationSources) {
    this.#date = date;
    this.#sources = sources;
    for (const payment of sources.payments) {
      this.#paymentsById.set(payment.paymentId, payment);
      this.#paymentsByUetr.set(payment.uetr, payment);
    }
    for (const entry of sources.ledgerSettlements) {
      push(this.#postingsByPayment, entry.paymentId, entry);
      if (entry.kind === 'settlement' && entry.uetr !== undefined) push(this.#settlementsByUetr, entry.uetr, entry);
    }
    for (const record of this.#debits()) if (record.uetr !== undefined) push(this.#debitsByUetr, record.uetr, record);
  }

  /** Every debit in the statement is one of our settlements, posted once, for its amount. */
  checkStatement(): void {
    for (const record of this.#debits()) {
      if (record.uetr === undefined) {
        this.#add({
          kind: BreakKinds.SETTLED_NOT_POSTED,
          uetr: undefined,
          currency: record.currency,
          statementAmountMinor: record.amountMinor,
          detail: `the statement debits our account under reference ${record.reference ?? '(none)'} without a UETR; it cannot be matched to a payment`,
        });
      }
    }
    for (const [uetr, records] of this.#debitsByUetr) {
      const payment = this.#paymentsByUetr.get(uetr);
      const [record] = records as [StatementRecord, ...StatementRecord[]];
      if (records.length > 1) {
        this.#add({
          kind: BreakKinds.DUPLICATE_SETTLEMENT,
          paymentId: payment?.paymentId,
          uetr,
          currency: record.currency,
          statementAmountMinor: records.reduce((sum, each) => sum + each.amountMinor, 0n),
          detail: `the statement books this UETR ${records.length} times`,
        });
      }
      const postings = this.#settlementsByUetr.get(uetr) ?? [];
      if (postings.length === 0) {
        this.#add({
          kind: BreakKinds.SETTLED_NOT_POSTED,
          paymentId: payment?.paymentId,
          uetr,
          currency: record.currency,
          statementAmountMinor: record.amountMinor,
          paymentStatus: payment?.status,
          detail: settledNotPostedDetail(payment),
        });
        continue;
      }
      const posting = postings[0]!;
      if (posting.postedOn !== this.#date) {
        this.#timing.push({
          paymentId: posting.paymentId,
          uetr,
          postedOn: posting.postedOn,
          settledOn: this.#date,
          detail: `settled at the network on ${this.#date}, posted in the ledger on ${posting.postedOn}`,
        });
      }
      if (posting.amountMinor !== record.amountMinor || posting.currency !== record.currency) {
        this.#add({
          kind: BreakKinds.AMOUNT_MISMATCH,
          paymentId: posting.paymentId,
          uetr,
          currency: record.currency,
          ledgerAmountMinor: posting.amountMinor,
          statementAmountMinor: record.amountMinor,
          detail: `the statement books ${record.amountMinor} ${record.currency}, the ledger posted ${posting.amountMinor} ${posting.currency}`,
        });
      } else {
        this.#matched++;
      }
    }
  }

  /** Every entry posted on the day is settled at the network (RTGS) and belongs to a completed payment of its amount. */
  checkPostingsOfTheDay(): void {
    for (const posting of this.#postingsOfTheDay()) {
      if (posting.kind === 'settlement' && (posting.uetr === undefined || !this.#debitsByUetr.has(posting.uetr))) {
        const settledOn = posting.networkSettlementDate;
        if (settledOn !== undefined && settledOn !== this.#date) {
          this.#timing.push({
            paymentId: posting.paymentId,
            uetr: posting.uetr,
            postedOn: this.#date,
            settledOn,
            detail: `posted in the ledger on ${this.#date}; the network settled it on ${settledOn} (that day's statement)`,
          });
        } else {
          this.#add({
            kind: BreakKinds.POSTED_NOT_SETTLED,
            paymentId: posting.paymentId,
            uetr: posting.uetr,
            currency: posting.currency,
            ledgerAmountMinor: posting.amountMinor,
            detail: `the ledger posted an RTGS settlement that the network's statement of ${this.#date} does not book`,
          });
        }
      }
      this.#checkAgainstPayment(posting);
    }
  }

  /** Every payment completed on the day is posted, was screened, and no failed one was posted. */
  checkPaymentsOfTheDay(): void {
    const decisions = this.#sources.screeningDecisions;
    for (const payment of this.#paymentsOfTheDay()) {
      const postings = this.#postingsByPayment.get(payment.paymentId) ?? [];
      if (payment.status === completed && postings.length === 0) {
        this.#add({
          kind: BreakKinds.STATUS_MISMATCH,
          paymentId: payment.paymentId,
          uetr: payment.uetr,
          currency: payment.currency,
          paymentAmountMinor: payment.amountMinor,
          paymentStatus: payment.status,
          detail: 'the payment is COMPLETED but the ledger has not posted it',
        });
      }
      for (const posting of postings) this.#checkAgainstPayment(posting);
      if (payment.status === completed && decisions !== undefined && !decisions.has(payment.paymentId)) {
        this.#add({
          kind: BreakKinds.COMPLETED_WITHOUT_SCREENING,
          paymentId: payment.paymentId,
          uetr: payment.uetr,
          paymentStatus: payment.status,
          detail: 'the payment completed without a screening decision on record',
        });
      }
    }
  }

  report(): ReconciliationReport {
    const breaksByKind = Object.fromEntries(Object.values(BreakKinds).map((kind) => [kind, 0])) as Record<BreakKind, number>;
    for (const found of this.#breaks) breaksByKind[found.kind]++;
    const ofTheDay = this.#postingsOfTheDay();
    const payments = this.#paymentsOfTheDay();
    return {
      date: this.#date,
      clean: this.#breaks.length === 0,
      screening: this.#sources.screeningDecisions === undefined ? 'not-checked' : 'checked',
      counts: {
        ledgerSettlements: ofTheDay.filter((entry) => entry.kind === 'settlement').length,
        ledgerInternalTransfers: ofTheDay.filter((entry) => entry.kind === 'internal-transfer').length,
        paymentsTerminal: payments.length,
        paymentsCompleted: payments.filter((payment) => payment.status === completed).length,
        statementDebits: this.#debits().length,
        statementCreditsNotReconciled: this.#sources.statement.filter((record) => record.creditDebit === 'CRDT').length,
        matched: this.#matched,
        breaks: this.#breaks.length,
        breaksByKind,
        timingDifferences: this.#timing.length,
      },
      breaks: this.#breaks,
      timingDifferences: this.#timing,
    };
  }

  /** Ledger ↔ status: the posted payment exists, is COMPLETED, and was posted for its own amount. */
  #checkAgainstPayment(posting: LedgerSettlement): void {
    const payment = this.#paymentsById.get(posting.paymentId);
    if (!payment) {
      this.#add({
        kind: BreakKinds.STATUS_MISMATCH,
        paymentId: posting.paymentId,
        uetr: posting.uetr,
        currency: posting.currency,
        ledgerAmountMinor: posting.amountMinor,
        detail: `the ledger posted a ${posting.kind} for a payment the gateway has no record of`,
      });
      return;
    }
    if (payment.status !== completed) {
      this.#add({
        kind: BreakKinds.STATUS_MISMATCH,
        paymentId: payment.paymentId,
        uetr: payment.uetr,
        currency: posting.currency,
        ledgerAmountMinor: posting.amountMinor,
        paymentStatus: payment.status,
        detail: `the ledger posted the payment (${posting.kind} on ${posting.postedOn}) but its status is ${payment.status}`,
      });
    }
    if (payment.amountMinor !== posting.amountMinor || payment.currency !== posting.currency) {
      this.#add({
        kind: BreakKinds.AMOUNT_MISMATCH,
        paymentId: payment.paymentId,
        uetr: payment.uetr,
        currency: payment.currency,
        ledgerAmountMinor: posting.amountMinor,
        paymentAmountMinor: payment.amountMinor,
        detail: `the ledger posted ${posting.amountMinor} ${posting.currency} for a payment of ${payment.amountMinor} ${payment.currency}`,
      });
    }
  }

  /**
   * Records a break once: the same disagreement can be reached from two sides (a posting of the
   * day whose payment also completed that day), and is one break.
   */
  #add(found: Break): void {
    const key = `${found.kind}|${found.paymentId ?? ''}|${found.uetr ?? ''}|${found.ledgerAmountMinor ?? ''}|${found.statementAmountMinor ?? ''}|${found.paymentAmountMinor ?? ''}`;
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#breaks.push(withoutUndefined(found));
  }

  #debits(): StatementRecord[] {
    return this.#sources.statement.filter((record) => record.creditDebit === 'DBIT');
  }

  #postingsOfTheDay(): LedgerSettlement[] {
    return this.#sources.ledgerSettlements.filter((entry) => entry.postedOn === this.#date);
  }

  #paymentsOfTheDay(): PaymentRecord[] {
    return this.#sources.payments.filter((payment) => payment.terminalOn === this.#date);
  }
}

function settledNotPostedDetail(payment: PaymentRecord | undefined): string {
  if (!payment) return 'the network settled a UETR that is not one of our payments';
  if (payment.route === 'INTERNAL') return 'the network settled a payment we routed in house';
  return `the network settled the payment; the ledger has not posted it (status ${payment.status})`;
}

function push<Key, Value>(map: Map<Key, Value[]>, key: Key, value: Value): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function withoutUndefined(found: Break): Break {
  return Object.fromEntries(Object.entries(found).filter(([, value]) => value !== undefined)) as unknown as Break;
}
