import type { Logger } from 'pino';
import type { Clock } from '../../backbone/clock/clock.ts';
import type { Database } from '../../backbone/storage/database.ts';
import type { BackgroundWorker } from '../service.ts';
import { applyStatusReport, type StatusApplierDeps } from './status-applier.ts';
import { parsePacs002 } from '../../contracts/iso20022/pacs002.ts';
import { Iso20022Messages, type XsdValidator } from '../../contracts/iso20022/xsd-validator.ts';
import { RtgsNetworkError, type RtgsNetworkClient } from './network-client.ts';
import { awaitingAnswer, dueForStatusCheck, recordStatusCheck, type Submission } from './submissions.ts';
import type { StatusChaserOptions } from './options.ts';

export interface StatusChaserDeps extends StatusApplierDeps {
  db: Database;
  network: RtgsNetworkClient;
  validator: XsdValidator;
  clock: Clock;
  logger: Logger;
}

/** What one status query round did, per submission. */
export interface ChaseRound {
  checked: number;
  settled: number;
  rejected: number;
  pending: number;
  /** The answer had already been applied (the callback won the race). */
  alreadyFinal: number;
  /** The network did not know the UETR; the pacs.008 was sent again. */
  resent: number;
  /** The network could not be asked (down, circuit open, bad answer). */
  failed: number;
}

/**
 * Asks the RTGS network about submissions that got no final answer within `firstCheckAfterMs`,
 * then every `recheckIntervalMs`, for as long as it takes. An answer found this way goes through
 * the same `applyStatusReport` as a callback, so whichever arrives first wins and the other is a
 * no-op. A network that says it does not know the UETR gets the stored pacs.008 again (same
 * idempotency key).
 *
 * Why it never gives up: turning "no answer" into a reject would release the reserved funds of a
 * payment the network may still settle — the bank would pay twice. So the submission stays
 * `submitted`, the funds stay reserved, and the delay is exposed instead: the metrics
 * `paystream_rtgs_awaiting_answer` and `paystream_rtgs_oldest_awaiting_answer_seconds`, and a
 * warning per check once a submission is `overdueAfterMs` old. An operator resolves it with the
 * RTGS operator (who can answer with a pacs.002 through the callback).
 */
export class RtgsStatusChaser implements BackgroundWorker {
  readonly name = 'rtgs-status-chaser';
  readonly #deps: StatusChaserDeps;
  readonly #options: StatusChaserOptions;
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(deps: StatusChaserDeps, options: StatusChaserOptions) {
    this.#deps = deps;
    this.#options = options;
  }

  async start(): Promise<void> {
    if (this.#loop) return;
    const abort = (this.#abort = new AbortController());
    this.#loop = (async () => {
      while (!abort.signal.aborted) {
        try {
          await this.chaseOnce();
        } catch (error) {
          this.#deps.logger.error({ err: error }, 'RTGS status chaser round failed');
        }
        await this.#deps.clock.sleep(this.#options.pollIntervalMs, abort.signal);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#loop;
    this.#loop = undefined;
  }

  /** One round: query every due submission, apply what is final, reschedule the rest. */
  async chaseOnce(): Promise<ChaseRound> {
    const round: ChaseRound = { checked: 0, settled: 0, rejected: 0, pending: 0, alreadyFinal: 0, resent: 0, failed: 0 };
    const due = await dueForStatusCheck(this.#deps.db, new Date(this.#deps.clock.nowMs()), this.#options.batchSize);
    for (const submission of due) {
      round.checked++;
      round[await this.#chase(submission)]++;
    }
    await this.#updateGauges();
    return round;
  }

  async #chase(submission: Submission): Promise<Exclude<keyof ChaseRound, 'checked'>> {
    const { uetr } = submission;
    const nowMs = this.#deps.clock.nowMs();
    const log = this.#deps.logger.child({ correlationId: submission.correlationId, paymentId: submission.paymentId, uetr });
    await recordStatusCheck(this.#deps.db, uetr, new Date(nowMs), new Date(nowMs + this.#options.recheckIntervalMs));
    const ageMs = nowMs - submission.submittedAt.getTime();
    if (ageMs >= this.#options.overdueAfterMs)
      log.warn(
        { ageSeconds: Math.round(ageMs / 1000), statusChecks: submission.statusChecks + 1 },
        'no final RTGS answer yet; funds stay reserved; needs an operator',
      );
    try {
      const answer = await this.#deps.network.queryStatus(uetr);
      if (answer.kind === 'unknown') {
        await this.#deps.network.submitPacs008(uetr, submission.pacs008);
        log.warn('the RTGS network did not know the UETR; pacs.008 sent again');
        return 'resent';
      }
      const validation = await this.#deps.validator.validate(Iso20022Messages.pacs002, answer.pacs002);
      if (!validation.valid) {
        log.error('the RTGS network answered a status query with an invalid pacs.002');
        return 'failed';
      }
      const report = parsePacs002(answer.pacs002);
      const own = { ...report, transactions: report.transactions.filter((status) => status.uetr === uetr) };
      const [applied] = await applyStatusReport(this.#deps, own, 'status-query');
      if (applied?.outcome === 'settled' || applied?.outcome === 'rejected') return applied.outcome;
      if (applied?.outcome === 'already-final') return 'alreadyFinal';
      return 'pending';
    } catch (error) {
      const code = error instanceof RtgsNetworkError ? error.code : 'UNEXPECTED';
      log.warn({ code }, 'RTGS status query failed; will ask again');
      return 'failed';
    }
  }

  async #updateGauges(): Promise<void> {
    const { count, oldestSubmittedAt } = await awaitingAnswer(this.#deps.db);
    this.#deps.metrics.awaitingAnswer.set(count);
    this.#deps.metrics.oldestAwaitingAnswerSeconds.set(
      oldestSubmittedAt ? Math.max(0, (this.#deps.clock.nowMs() - oldestSubmittedAt.getTime()) / 1000) : 0,
    );
  }
}
