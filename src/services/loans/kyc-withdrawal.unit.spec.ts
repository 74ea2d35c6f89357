import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidV7Ids, type Clock } from '../../backbone/clock/clock.ts';
import { JsonCodec } from '../../backbone/codec/json-codec.ts';
import type { ConsumedEvent, EmittedEvent } from '../../backbone/consumer/handler.ts';
import { sagaMigrations, SagaOrchestrator, sagaReplyTo, type SagaCommandMessage } from '../../backbone/saga/index.ts';
import { PgliteDatabase } from '../../backbone/storage-pglite/index.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import { LoanTopics } from '../../contracts/loans.ts';
import { insertLoanApplication } from '../../../test/support/loan-applications.ts';
import { complianceCaseMigrations } from '../compliance-cases/index.ts';
import { ledgerLoanParticipant } from '../ledger/handlers.ts';
import { ledgerMigrations } from '../ledger/index.ts';
import type { ScreeningResult } from '../screening/index.ts';
import { applicationView, kycCaseWithdrawnBy, kycDecisionHandler, loanParticipant } from './handlers.ts';
import { loanMigrations } from './migrations.ts';
import { resolveLoansOptions } from './options.ts';
import { loanApprovalSaga } from './saga.ts';

// Issue 15's gap: an applicant's KYC case (a MEDIUM screening) outlived its application. Here the
// officer never decides; on the fake clock the KYC deadlines pass, the saga gives up on KYC_CHECK
// and, in that transaction, withdraws the case and the check; then the reservation is released and
// the application ends REJECTED. An officer's decision that comes after answers nothing, and a
// KYC command that arrives after the application ended opens no case.
const day = 86_400_000;
const options = resolveLoansOptions({
  requireScope: () => async () => {},
  screenApplicant: () => medium,
  kycDecisionDeadlineMs: 7 * day,
});
const medium: ScreeningResult = {
  band: 'MEDIUM',
  score: 0.9,
  pep: false,
  matches: [{ list: 'OFAC-SDN', entryId: '0', score: 0.9 } as ScreeningResult['matches'][number]],
  suppressed: [],
  listVersions: [],
};
const codec = new JsonCodec();

describe('a KYC case the saga gave up waiting for', () => {
  let db: PgliteDatabase;
  let now = Date.parse('2026-03-02T09:00:00Z');
  const clock: Clock = { nowMs: () => now, sleep: async () => {} };
  /** Commands and replies written in the last transaction, in order. */
  let sent: { topic: string; payload: unknown }[] = [];
  const decidedEvents: unknown[] = [];
  let orchestrator: SagaOrchestrator;

  /** Runs `work` in a transaction and hands back what it sent: the orchestrator's commands, then emitted events. */
  const transaction = async (
    work: (tx: Parameters<Parameters<PgliteDatabase['transaction']>[0]>[0], emit: (event: EmittedEvent) => void) => Promise<void>,
  ) => {
    sent = [];
    const emitted: EmittedEvent[] = [];
    await db.transaction((tx) => work(tx, (event) => void emitted.push(event)));
    const out = [...sent, ...emitted.map((event) => ({ topic: event.topic, payload: event.payload }))];
    sent = [];
    return out;
  };
  const ledger = ledgerLoanParticipant({ lendingCapacityMinor: new Map([['EUR', 100_000_000n]]), ids: uuidV7Ids });
  const loans = loanParticipant({ options, screenApplicant: () => medium, clock, ids: uuidV7Ids });

  /** One message delivered: a reply to the orchestrator, a command to its participant; returns what that sent. */
  const deliver = ({ topic, payload }: { topic: string; payload: unknown }) => {
    if (topic === LoanTopics.sagaReplies) {
      const event = { payload, topic, envelope: { eventType: 'saga.reply', eventId: randomUUID(), correlationId: 'flow' } };
      return transaction((tx, emit) =>
        orchestrator.replyConsumer().handler!(event as unknown as ConsumedEvent, { tx, emit, afterCommit: () => {} } as never),
      );
    }
    const command = payload as SagaCommandMessage;
    const participant = topic === LoanTopics.ledgerCommands ? ledger : loans;
    return transaction((tx, emit) => participant(command, { tx, emit, reply: (ok, reason) => emit(sagaReplyTo(command, ok, reason)) }));
  };
  /** Delivers messages, and what each sends in turn, until nothing is left. */
  const deliverAll = async (messages: { topic: string; payload: unknown }[]) => {
    const queue = [...messages];
    while (queue.length > 0) queue.push(...(await deliver(queue.shift()!)));
  };
  const passTime = async (ms: number) => {
    now += ms;
    sent = [];
    await orchestrator.fireDueTimers();
    return sent.splice(0);
  };
  /** A MEDIUM applicant's application for 5000.00, its saga started; returns the saga's first commands. */
  const apply = async (account: string) => {
    const applicationId = randomUUID();
    const sagaId = randomUUID();
    const started = await transaction(async (tx) => {
      const data = await insertLoanApplication(tx, {
        applicationId,
        sagaId,
        account,
        name: 'Applicant',
        amountMinor: 500_000n,
        declaredMonthlyIncomeMinor: 400_000n,
        apiKeyId: 'key',
      });
      await orchestrator.start(sagaId, data, tx);
    });
    return { applicationId, sagaId, started };
  };
  const row = async <T>(sql: string, params: unknown[]) => (await db.query<T & Record<string, unknown>>(sql, params)).rows[0];

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    for (const [scope, migrations] of [
      ['saga', sagaMigrations],
      ['ledger', ledgerMigrations],
      ['compliance-cases', complianceCaseMigrations],
      ['loans', loanMigrations],
    ] as const)
      await migrate(db, scope, migrations);
    orchestrator = new SagaOrchestrator(
      {
        db,
        outbox: {
          write: async (_tx, messages) => {
            for (const message of messages)
              sent.push({ topic: message.topic, payload: await codec.decode(message.topic, '', message.value!) });
          },
        },
        codec,
        clock,
        ids: uuidV7Ids,
        logger: pino({ level: 'silent' }),
      },
      {
        definition: loanApprovalSaga(options),
        replyTopic: LoanTopics.sagaReplies,
        onTransition: applicationView({
          publisher: { publish: async (_tx, events) => void decidedEvents.push(...events), publishEach: async () => {} },
          clock,
        }),
      },
    );
  });
  afterAll(async () => db?.close());

  it('withdraws the case and the check in the transaction that failed KYC_CHECK, then rejects the application', async () => {
    const { applicationId, sagaId, started } = await apply('DE89370400440532013000');
    await deliverAll(started);
    const opened = await row<{ case_id: string; status: string }>(`select case_id, status from compliance_cases where payment_id = $1`, [
      applicationId,
    ]);
    expect(opened?.status, 'a MEDIUM applicant waits for an officer').toBe('open');

    // No officer decides: each KYC deadline passes (the re-sends are answered nothing), the last fails the step.
    let afterLastDeadline: { topic: string; payload: unknown }[] = [];
    for (let sends = 0; sends < 3; sends += 1) {
      const resent = await passTime(7 * day);
      if (sends < 2) await deliverAll(resent);
      else afterLastDeadline = resent;
    }
    // The transaction that failed KYC_CHECK sent the release, and withdrew the case and the check already.
    expect(afterLastDeadline.map((message) => (message.payload as SagaCommandMessage).name)).toEqual(['RELEASE_RESERVATIONS']);
    expect(
      await row(`select status, decided_by, decision_reason, decided_at from compliance_cases where case_id = $1`, [opened!.case_id]),
    ).toEqual({
      status: 'withdrawn',
      decided_by: kycCaseWithdrawnBy,
      decision_reason: 'the loan application ended before a KYC decision (no reply after 3 attempts)',
      decided_at: new Date(now),
    });
    expect(await row(`select status from loan_kyc_checks where application_id = $1`, [applicationId])).toEqual({ status: 'withdrawn' });

    await deliverAll(afterLastDeadline);
    expect(await row(`select status from saga_instances where saga_id = $1`, [sagaId])).toEqual({ status: 'COMPENSATED' });
    expect(await row(`select status from loan_applications where application_id = $1`, [applicationId])).toEqual({ status: 'REJECTED' });

    // An officer's decision published before the withdrawal, handled after it: no reply to a saga that ended.
    const lateDecision = {
      payload: { applicationId, caseId: opened!.case_id, decision: 'APPROVE' },
      topic: LoanTopics.kycDecisions,
      envelope: { eventType: 'LoanKycDecision' },
    } as unknown as ConsumedEvent;
    expect(await transaction((tx, emit) => kycDecisionHandler()(lateDecision, { tx, emit, afterCommit: () => {} } as never))).toEqual([]);
  });

  it('records a withdrawn check for an application that ended before its KYC command arrived: the late command opens no case', async () => {
    const { applicationId, started } = await apply('DE44500105175407324931');
    // The reservation goes through; every KYC_CHECK send is held up in the network past its deadline.
    const kycSends = await deliver((await deliver(started[0]!))[0]!);
    let release: { topic: string; payload: unknown }[] = [];
    for (let sends = 0; sends < 3; sends += 1) {
      const resent = await passTime(7 * day);
      if (sends < 2) kycSends.push(...resent);
      else release = resent;
    }
    expect(await row(`select status, case_id from loan_kyc_checks where application_id = $1`, [applicationId])).toEqual({
      status: 'withdrawn',
      case_id: null,
    });
    await deliverAll(release);
    expect(await row(`select status from loan_applications where application_id = $1`, [applicationId])).toEqual({ status: 'REJECTED' });

    expect(kycSends.map((message) => (message.payload as SagaCommandMessage).name)).toEqual(['KYC_CHECK', 'KYC_CHECK', 'KYC_CHECK']);
    // The held-up sends arrive now: each is refused with the withdrawal, and no case is opened.
    await deliverAll(kycSends);
    expect((await db.query(`select 1 from compliance_cases where payment_id = $1`, [applicationId])).rows).toEqual([]);
  });
});
