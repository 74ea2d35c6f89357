/**
 * The screening consumer: every validated payment has both parties screened, the Travel Rule
 * checked and a decision recorded before anything else happens to it. Nothing reaches
 * `payments.initiated.v1` unscreened.
 *
 * Fail closed: while the lists are not loaded the handler throws a transient error and the
 * backbone retries it (blocking: the account's later payments wait behind it). On the last attempt
 * the payment fails with SCREENING_UNAVAILABLE instead: nothing was reserved, so nothing is debited.
 */
import { EventFailure, type BatchEventHandler, type ConsumedEvent } from '../../../backbone/consumer/handler.ts';
import type { SqlRunner } from '../../../backbone/storage/database.ts';
import type { Clock, IdGenerator } from '../../../backbone/clock/clock.ts';
import type { NewEvent } from '../../../backbone/envelope/event-encoder.ts';
import { transientError } from '../../../backbone/errors.ts';
import { PaymentReasonCodes, type Party as PaymentParty, type PaymentOrder } from '../../../contracts/payment.ts';
import { PaymentEventTypes, PaymentTopics, type PaymentTopic } from '../../../contracts/topics.ts';
import type {
  AmlAlertRaised,
  PaymentBlocked,
  PaymentFailed,
  PaymentHeldForReview,
  PaymentInitiated,
  PaymentRejected,
  PaymentValidated,
} from '../../../contracts/events.ts';
import { isEventOf } from '../../../contracts/topic-payloads.ts';
import { openCase } from '../../compliance-cases/index.ts';
import { ScreeningError, ScreeningErrorCodes } from '../errors.ts';
import type { Party, ScreeningResult } from '../model.ts';
import { corridorOf } from './corridor.ts';
import { decideScreening, type PartyRole, type ScreeningVerdict } from './decide.ts';
import { decidedPayments, recordDecisions, type ScreeningDecisionRecord } from './decisions-table.ts';
import type { ScreeningLists } from './lists.ts';
import type { ResolvedScreeningStageOptions } from './options.ts';
import { checkTravelRule, travelRuleReason } from './travel-rule.ts';
import type { ScreeningMetrics } from './metrics.ts';

export interface ScreeningHandlerDeps {
  lists: ScreeningLists;
  options: ResolvedScreeningStageOptions;
  ids: IdGenerator;
  clock: Clock;
  /** Where each decision's latency goes, once its batch committed (none in tests that do not look). */
  metrics?: ScreeningMetrics;
}

/**
 * For a batch: which payments were decided before is read once, each payment is screened and
 * decided in order, and the batch's decisions are written in one statement.
 */
export function screeningHandler(deps: ScreeningHandlerDeps): BatchEventHandler {
  return async (events, context) => {
    const validated = events.map((event, index) => {
      if (!isEventOf(event, deps.options.inputTopic))
        throw new EventFailure(index, new Error(`screening: no handler for topic ${event.topic}`));
      return event;
    });
    const decided = await decidedPayments(
      context.tx,
      validated.map((event) => event.payload.payment.paymentId),
    );
    const decisions: ScreeningDecisionRecord[] = [];
    for (const [index, event] of validated.entries()) {
      try {
        const perEvent = { tx: context.tx, emit: (next: NewEvent) => context.emit(event, next) };
        await screen(event, perEvent, deps, { decided, record: (decision) => void decisions.push(decision) });
      } catch (error) {
        throw new EventFailure(index, error);
      }
    }
    await recordDecisions(context.tx, decisions);
    const { metrics } = deps;
    if (metrics && decisions.length > 0) {
      // Observed once the decisions are committed: a batch rolled back and run again counts once.
      // One lookup per decision, not a scan of the batch for each (batches hold up to 500 payments).
      const validatedAt = new Map(validated.map((event) => [event.payload.payment.paymentId, event.envelope.occurredAt]));
      const latencies = decisions.map((decision) => ({
        outcome: decision.outcome,
        seconds: (decision.decidedAtMs - Date.parse(validatedAt.get(decision.paymentId)!)) / 1000,
      }));
      context.afterCommit(async () => {
        for (const { outcome, seconds } of latencies) metrics.observe(outcome, seconds);
      });
    }
  };
}

/** What `screen` needs of the batch: the payments decided so far, and where a decision goes. */
interface DecisionBook {
  decided: Set<string>;
  record(decision: ScreeningDecisionRecord): void;
}

async function screen(
  event: ConsumedEvent<PaymentValidated>,
  context: { tx: SqlRunner; emit(event: NewEvent): void },
  deps: ScreeningHandlerDeps,
  book: DecisionBook,
): Promise<void> {
  const { tx } = context;
  const { payment } = event.payload;
  const account = payment.debtor.account;
  if (book.decided.has(payment.paymentId)) return; // decided before; its events went out with that decision
  book.decided.add(payment.paymentId);

  const corridor = corridorOf(payment);
  const rule = deps.options.ruleFor(corridor.code);
  const decisionId = deps.ids.eventId();
  const base = {
    decisionId,
    paymentId: payment.paymentId,
    debtorAccount: account,
    correlationId: event.envelope.correlationId,
    corridorCode: corridor.code,
    decidedAtMs: deps.clock.nowMs(),
  };

  let debtor: ScreeningResult;
  let creditor: ScreeningResult;
  try {
    debtor = deps.lists.screen(partyOf(payment.debtor), rule.options, rule.extraListIds);
    creditor = deps.lists.screen(partyOf(payment.creditor), rule.options, rule.extraListIds);
  } catch (error) {
    if (!(error instanceof ScreeningError && (error.code === ScreeningErrorCodes.LISTS_NOT_LOADED || error.canRetry))) throw error;
    if (event.attempt < deps.options.retryDelaysMs.length)
      throw transientError(`screening unavailable (attempt ${event.attempt + 1}): ${error.message}`, error);
    const reason = `screening unavailable after ${event.attempt + 1} attempts: ${error.message}; the payment was not screened and is not paid`;
    book.record({
      ...base,
      outcome: 'UNAVAILABLE',
      reason,
      debtor: undefined,
      creditor: undefined,
      listVersions: [],
      travelRule: undefined,
      caseId: null,
    });
    context.emit(
      newEvent<PaymentFailed>(PaymentTopics.failed, account, {
        paymentId: payment.paymentId,
        debtorAccount: account,
        amountMinor: payment.amountMinor,
        currency: payment.currency,
        reasonCode: PaymentReasonCodes.SCREENING_UNAVAILABLE,
        reason,
      }),
    );
    return;
  }

  const travelRule = checkTravelRule(payment, deps.options.travelRuleThresholdMinor);
  const verdict = decideScreening({ debtor, creditor, travelRule, travelRuleReason: () => travelRuleReason(payment, travelRule) });
  const listVersions = [
    ...new Map(
      [...debtor.listVersions, ...creditor.listVersions].map((version) => [version.listId, `${version.listId}:${version.sha256}`]),
    ).values(),
  ];
  const initiated = newEvent<PaymentInitiated>(PaymentTopics.initiated, account, {
    payment,
    corridorCode: corridor.code,
    screeningDecisionId: decisionId,
    listVersions,
    travelRuleApplied: travelRule.applied,
  });
  const results: Record<PartyRole, ScreeningResult> = { DEBTOR: debtor, CREDITOR: creditor };

  let caseId: string | null = null;
  if (verdict.outcome === 'HOLD') {
    caseId = deps.ids.eventId();
    const opened = await openCase(tx, {
      caseId,
      paymentId: payment.paymentId,
      debtorAccount: account,
      correlationId: event.envelope.correlationId,
      stage: 'SCREENING',
      reason: verdict.reason,
      evidence: {
        screeningDecisionId: decisionId,
        corridorCode: corridor.code,
        listVersions,
        travelRule: { ...travelRule, thresholdMinor: travelRule.thresholdMinor.toString() },
        debtor,
        creditor,
      },
      onApprove: initiated,
      amountMinor: payment.amountMinor,
      currency: payment.currency,
    });
    if (!opened) return; // a SCREENING case exists: this payment was held before
  }
  book.record({ ...base, outcome: verdict.outcome, reason: verdict.reason, debtor, creditor, listVersions, travelRule, caseId });

  switch (verdict.outcome) {
    case 'PASS':
      context.emit(initiated);
      return;
    case 'HOLD':
      context.emit(
        newEvent<PaymentHeldForReview>(PaymentTopics.held, account, {
          paymentId: payment.paymentId,
          debtorAccount: account,
          caseId: caseId!,
          stage: 'SCREENING',
          reason: verdict.reason,
        }),
      );
      return;
    case 'REJECT':
      context.emit(
        newEvent<PaymentRejected>(PaymentTopics.rejected, account, {
          paymentId: payment.paymentId,
          debtorAccount: account,
          reasonCode: PaymentReasonCodes.TRAVEL_RULE_MISSING_INFORMATION,
          reason: verdict.reason,
        }),
      );
      return;
    case 'BLOCK':
      for (const event of blockEvents(payment, decisionId, verdict, results, deps.ids)) context.emit(event);
      return;
  }
}

function blockEvents(
  payment: PaymentOrder,
  decisionId: string,
  verdict: ScreeningVerdict,
  results: Record<PartyRole, ScreeningResult>,
  ids: IdGenerator,
): NewEvent[] {
  const account = payment.debtor.account;
  const alerts = verdict.flaggedParties.map((party) =>
    newEvent<AmlAlertRaised>(PaymentTopics.amlAlertRaised, account, {
      alertId: ids.eventId(),
      paymentId: payment.paymentId,
      debtorAccount: account,
      party,
      band: results[party].band,
      matches: results[party].matches.map((match) => ({
        list: match.list,
        listVersion: match.listVersion,
        entryId: match.entryId,
        matchedName: match.matchedName,
        program: match.program,
        scoreBp: Math.round(match.score * 10_000),
      })),
    }),
  );
  const blocked = newEvent<PaymentBlocked>(PaymentTopics.blocked, account, {
    paymentId: payment.paymentId,
    debtorAccount: account,
    amountMinor: payment.amountMinor,
    currency: payment.currency,
    reasonCode: PaymentReasonCodes.SANCTIONS_HIT,
    reason: verdict.reason,
    screeningDecisionId: decisionId,
  });
  return [blocked, ...alerts];
}

/**
 * What the engine screens: the name, the country and date of birth the party gave, the account
 * (for the allow list). The country of the party's bank is *not* used: an account in Germany says
 * nothing about its holder's nationality, and a wrong country lowers a true match's score.
 */
function partyOf(party: PaymentParty): Party {
  return {
    name: party.name,
    account: party.account,
    ...(party.country ? { country: party.country } : {}),
    ...(party.dateOfBirth ? { dateOfBirth: party.dateOfBirth } : {}),
  };
}

function newEvent<Payload>(topic: PaymentTopic, key: string, payload: Payload): NewEvent {
  return { topic, eventType: PaymentEventTypes[topic], key, payload };
}
