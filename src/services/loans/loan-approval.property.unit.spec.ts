import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidV7Ids, type Clock } from '../../backbone/clock/clock.ts';
import { JsonCodec } from '../../backbone/codec/json-codec.ts';
import type { ConsumedEvent, EmittedEvent } from '../../backbone/consumer/handler.ts';
import { sagaMigrations, SagaOrchestrator, sagaReplyTo, type SagaCommandMessage, type SagaReply } from '../../backbone/saga/index.ts';
import { PgliteDatabase } from '../../backbone/storage-pglite/index.ts';
import { migrate } from '../../backbone/storage/migrate.ts';
import type { SqlRunner } from '../../backbone/storage/database.ts';
import { LoanCommandNames, LoanTopics } from '../../contracts/loans.ts';
import type { ScreeningResult } from '../screening/index.ts';
import { complianceCaseMigrations } from '../compliance-cases/index.ts';
import { ledgerLoanParticipant } from '../ledger/handlers.ts';
import { ledgerMigrations } from '../ledger/index.ts';
import { applicationView, kycDecisionHandler, loanParticipant } from './handlers.ts';
import { loanMigrations } from './migrations.ts';
import { resolveLoansOptions } from './options.ts';
import { loanApprovalSaga, loanStepMaxAttempts } from './saga.ts';
import { insertLoanApplication } from '../../../test/support/loan-applications.ts';

// The loan approval under random faults, on PGlite with the real orchestrator and the real
// participants (the ledger's and the loans service's), delivered by a scheduler that fast-check
// drives: any pending command or reply may be delivered, lost, delivered twice, or overtaken by
// another; deadlines fire on a fake clock; participants refuse at random (a refusal that did
// nothing, as a participant's own check would); KYC may be LOW, HIGH or MEDIUM (an officer approves
// or rejects at a random moment, or never, and the saga gives up on the case); capacity, income and the exposure limit make the real checks
// refuse at random. After each run, with every message drained and every deadline passed, the
// saga has ended and the invariants hold: no disbursement without APPROVED; the hold ended posted
// (approved) or released (rejected), once; the exposure recorded equals the approved amount; no
// compensation ran twice; no KYC case waits for an officer (one the saga gave up on is withdrawn);
// the application and its saga agree; it was announced once.
//
// The network loses at most `maxAttempts − 1` sends of one command or of its replies, except when
// a participant is down for a whole step (before APPROVED): then the step times out and is
// compensated. (The disbursement is the pivot: silence makes the orchestrator send it again rather
// than compensate, definition.unit.spec.ts covers that; this test keeps its losses within budget.)

const day = 86_400_000;
const options = resolveLoansOptions({
  requireScope: () => async () => {},
  screenApplicant: () => screening('LOW'),
  kycDecisionDeadlineMs: 7 * day,
  exposureLimits: { maxCustomerExposureMinor: 1_000_000n, maxTotalExposureMinor: 1_000_000_000n },
});
const definition = loanApprovalSaga(options);
const codec = new JsonCodec();

type Band = 'LOW' | 'MEDIUM' | 'HIGH';
interface Scenario {
  band: Band;
  officerApproves: boolean;
  /** No officer decides the KYC case: the saga gives up on it after its deadlines and withdraws it. */
  officerAbsent: boolean;
  amountMinor: bigint;
  incomeMinor: bigint;
  refuse: string | null;
  silentStep: string | null;
  actions: { pick: number; fault: 'deliver' | 'lose' | 'duplicate' | 'wait' }[];
}

const scenarios: fc.Arbitrary<Scenario> = fc.record({
  band: fc.constantFrom<Band>('LOW', 'LOW', 'MEDIUM', 'HIGH'),
  officerApproves: fc.boolean(),
  officerAbsent: fc.constantFrom(false, false, false, true),
  amountMinor: fc.constantFrom(500_000n, 500_000n, 900_000n, 1_200_000n, 3_000_000n),
  incomeMinor: fc.constantFrom(400_000n, 100_000n),
  // Step refusals only (a compensation refused is retried, and only a lasting one is an operator's case):
  // APPROVED weighted, since only a run that got that far can be refused there.
  refuse: fc.option(fc.constantFrom<string>('START', 'KYC_CHECK', 'CREDIT_SCORE', 'RISK_ASSESSMENT', 'APPROVED', 'APPROVED', 'APPROVED'), {
    freq: 2,
  }),
  silentStep: fc.option(
    fc.constantFrom(LoanCommandNames.reserve, LoanCommandNames.kyc, LoanCommandNames.creditScore, LoanCommandNames.riskAssessment),
    {
      freq: 4,
    },
  ),
  actions: fc.array(
    fc.record({
      pick: fc.nat(),
      fault: fc.constantFrom<'deliver' | 'lose' | 'duplicate' | 'wait'>('deliver', 'deliver', 'lose', 'duplicate', 'wait'),
    }),
    { maxLength: 60 },
  ),
});

describe('the loan approval under lost, repeated and reordered messages, deadlines and refusals', () => {
  let db: PgliteDatabase;
  let now = Date.parse('2026-01-05T09:00:00Z');
  const clock: Clock = { nowMs: () => now, sleep: async () => {} };

  beforeAll(async () => {
    db = await PgliteDatabase.open();
    await migrate(db, 'saga', sagaMigrations);
    await migrate(db, 'ledger', ledgerMigrations);
    await migrate(db, 'compliance-cases', complianceCaseMigrations);
    await migrate(db, 'loans', loanMigrations);
  });
  afterAll(async () => db?.close());

  it('ends every saga APPROVED or REJECTED with the invariants intact', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(scenarios, async (scenario) => {
        const run = await runScenario(db, clock, (ms) => (now += ms), scenario);
        await checkInvariants(db, run);
        for (const fact of await db
          .query<{ fact: string }>(`select distinct coalesce(name, '') || ' ' || event_type as fact from saga_history where saga_id = $1`, [
            run.sagaId,
          ])
          .then((result) => result.rows))
          seen.add(fact.fact);
      }),
      // A fixed seed whose runs reach every path of the coverage check below, so it cannot flake (a new
      // scenario field reshuffles the runs: pick a seed that passes again); LOAN_PROPERTY_SEED and _RUNS explore further.
      { numRuns: Number(process.env.LOAN_PROPERTY_RUNS ?? 100), seed: Number(process.env.LOAN_PROPERTY_SEED ?? 2) },
    );
    // The runs reached the paths they are about: both ends, deadlines, and each compensation.
    expect([...seen]).toEqual(
      expect.arrayContaining([
        ' SagaCompleted',
        ' SagaCompensated',
        'KYC_CHECK StepTimedOut',
        'KYC_CHECK StepFailed',
        'RISK_ASSESSMENT StepFailed',
        'APPROVED StepFailed',
        'REVERT_RISK CompensationSucceeded',
        'RELEASE_RESERVATIONS CompensationSucceeded',
      ]),
    );
  }, 600_000);
});

interface Pending {
  message: { topic: string; payload: SagaCommandMessage | SagaReply };
  /** The command id whose sends or replies this is, for the loss budget. */
  commandId: string;
}

interface Run {
  applicationId: string;
  sagaId: string;
  amountMinor: bigint;
  decided: number;
}

async function runScenario(db: PgliteDatabase, clock: Clock, advance: (ms: number) => void, scenario: Scenario): Promise<Run> {
  const applicationId = uuidV7Ids.eventId();
  const sagaId = uuidV7Ids.eventId();
  const account = `DE${applicationId.replace(/-/g, '').slice(0, 20).toUpperCase()}`;
  let buffer: { topic: string; value: Buffer | null }[] = [];
  let decided = 0;
  const orchestrator = new SagaOrchestrator(
    {
      db,
      outbox: { write: async (_tx, messages) => void buffer.push(...messages) },
      codec,
      clock,
      ids: uuidV7Ids,
      logger: pino({ level: 'silent' }),
    },
    {
      definition,
      replyTopic: LoanTopics.sagaReplies,
      onTransition: applicationView({
        publisher: { publish: async (_tx, events) => void (decided += events.length), publishEach: async () => {} },
        clock,
      }),
    },
  );
  // Capacity left for this run: 50,000.00, or too little for the largest amount (earlier runs' loans stay lent).
  const used = await db.query<{ used: bigint | null }>(
    `select sum(reserved_minor + lent_minor)::bigint as used from ledger_lending_capacity`,
  );
  const capacity = new Map([['EUR', (used.rows[0]?.used ?? 0n) + (scenario.amountMinor === 3_000_000n ? 2_000_000n : 5_000_000n)]]);
  const ledger = ledgerLoanParticipant({ lendingCapacityMinor: capacity, ids: uuidV7Ids });
  const loans = loanParticipant({ options, screenApplicant: () => screening(scenario.band), clock, ids: uuidV7Ids });
  const kycDecided = kycDecisionHandler();
  const refusedCommands = new Set<string>();
  const lossesLeft = new Map<string, number>();
  const queue: Pending[] = [];

  const enqueue = async (messages: { topic: string; value: Buffer | null }[]) => {
    for (const message of messages) {
      const payload = (await codec.decode(message.topic, '', message.value!)) as SagaCommandMessage | SagaReply;
      queue.push({ message: { topic: message.topic, payload }, commandId: payload.commandId });
    }
  };
  const transaction = async (work: (tx: SqlRunner, emit: (event: EmittedEvent) => void) => Promise<void>) => {
    buffer = [];
    const emitted: EmittedEvent[] = [];
    await db.transaction((tx) => work(tx, (event) => void emitted.push(event)));
    await enqueue(buffer);
    for (const event of emitted) buffer.push({ topic: event.topic, value: (await codec.encode(event.topic, '', event.payload)).value });
    await enqueue(buffer.splice(0));
  };

  await transaction(async (tx) => {
    const data = await insertLoanApplication(tx, {
      applicationId,
      sagaId,
      account,
      name: 'Applicant',
      amountMinor: scenario.amountMinor,
      declaredMonthlyIncomeMinor: scenario.incomeMinor,
      apiKeyId: 'key',
    });
    await orchestrator.start(sagaId, data, tx);
  });

  const deliver = async (pending: Pending) => {
    const { topic, payload } = pending.message;
    if (topic === LoanTopics.sagaReplies) {
      // The orchestrator derives the next command's envelope from the reply's (same flow, caused by it).
      const envelope = { eventType: 'saga.reply', eventId: randomUUID(), correlationId: sagaId };
      const event = { payload, topic, envelope } as unknown as ConsumedEvent;
      await transaction((tx, emit) => orchestrator.replyConsumer().handler!(event, { tx, emit, afterCommit: () => {} } as never));
      return;
    }
    const command = payload as SagaCommandMessage;
    if (command.name === scenario.silentStep && command.kind === 'step') return; // the participant is down for this step
    await transaction(async (tx, emit) => {
      const reply = (ok: boolean, reason?: string) => emit(sagaReplyTo(command, ok, reason));
      if (command.kind === 'step' && (command.name === scenario.refuse || refusedCommands.has(command.commandId))) {
        refusedCommands.add(command.commandId);
        return reply(false, 'refused by the test');
      }
      const participant = topic === LoanTopics.ledgerCommands ? ledger : loans;
      await participant(command, { tx, emit, reply });
    });
  };
  const officerDecides = async () => {
    const pendingCase = await db.query<{ case_id: string }>(
      `select case_id from loan_kyc_checks where application_id = $1 and status = 'pending'`,
      [applicationId],
    );
    const caseId = pendingCase.rows[0]?.case_id;
    if (!caseId || scenario.officerAbsent) return;
    const event = {
      payload: { applicationId, caseId, decision: scenario.officerApproves ? 'APPROVE' : 'REJECT' },
      topic: LoanTopics.kycDecisions,
      envelope: { eventType: 'LoanKycDecision' },
    } as unknown as ConsumedEvent;
    await transaction((tx, emit) => kycDecided(event, { tx, emit, afterCommit: () => {} } as never));
  };
  const passTime = async (ms: number) => {
    advance(ms);
    buffer = [];
    await orchestrator.fireDueTimers();
    await enqueue(buffer.splice(0));
  };

  // The faulty phase: the scenario's actions.
  for (const action of scenario.actions) {
    if (queue.length === 0 || action.fault === 'wait') {
      if (action.pick % 5 === 0) await officerDecides();
      await passTime(action.pick % 2 === 0 ? 15_000 : 3 * day);
      continue;
    }
    const [pending] = queue.splice(action.pick % queue.length, 1);
    const budget = lossesLeft.get(pending!.commandId) ?? loanStepMaxAttempts - 1;
    if (action.fault === 'lose' && budget > 0) {
      lossesLeft.set(pending!.commandId, budget - 1);
      continue;
    }
    await deliver(pending!);
    if (action.fault === 'duplicate') await deliver(pending!);
  }
  // Then the network heals: deliver everything, the officer decides, deadlines pass, until the saga ends.
  for (let round = 0; round < 200; round += 1) {
    while (queue.length > 0) await deliver(queue.shift()!);
    const status = await db.query<{ status: string }>(`select status from saga_instances where saga_id = $1`, [sagaId]);
    if (['COMPLETED', 'COMPENSATED', 'STUCK'].includes(status.rows[0]!.status)) break;
    await officerDecides();
    await passTime(4 * day);
  }
  return { applicationId, sagaId, amountMinor: scenario.amountMinor, decided };
}

async function checkInvariants(db: PgliteDatabase, run: Run): Promise<void> {
  const saga = await db.query<{ status: string }>(`select status from saga_instances where saga_id = $1`, [run.sagaId]);
  const status = saga.rows[0]!.status;
  expect(['COMPLETED', 'COMPENSATED'], `the saga ended ${status}`).toContain(status);
  const approved = status === 'COMPLETED';
  const application = await db.query<{ status: string }>(`select status from loan_applications where application_id = $1`, [
    run.applicationId,
  ]);
  expect(application.rows[0]!.status).toBe(approved ? 'APPROVED' : 'REJECTED');
  expect(run.decided, 'loans.application-decided.v1 once').toBe(1);
  const disbursed = await db.query<{ count: number }>(
    `select count(*)::int as count from ledger_journal_entries where kind = 'loan-disbursement' and reference = $1`,
    [run.applicationId],
  );
  expect(disbursed.rows[0]!.count, 'disbursements').toBe(approved ? 1 : 0);
  const hold = await db.query<{ state: string }>(`select state from ledger_holds where payment_id = $1`, [`loan:${run.applicationId}`]);
  if (approved) expect(hold.rows.map((row) => row.state)).toEqual(['posted']);
  else expect(hold.rows.map((row) => row.state)).toEqual(hold.rows.length === 0 ? [] : ['released']);
  const exposure = await db.query<{ state: string }>(`select state from loan_exposures where application_id = $1`, [run.applicationId]);
  expect(exposure.rows.filter((row) => row.state === 'recorded').length, 'exposure recorded').toBe(approved ? 1 : 0);
  const twice = await db.query(
    `select step from saga_history where saga_id = $1 and event_type = 'CompensationSucceeded' group by step having count(*) > 1`,
    [run.sagaId],
  );
  expect(twice.rows, 'compensations applied twice').toEqual([]);
  // No KYC check waits once the application ended, and a withdrawn one took its case out of the queue.
  const kyc = await db.query<{ status: string; case_status: string | null }>(
    `select k.status, c.status as case_status from loan_kyc_checks k left join compliance_cases c using (case_id) where k.application_id = $1`,
    [run.applicationId],
  );
  for (const check of kyc.rows) {
    expect(check.status, 'a KYC check still pending').not.toBe('pending');
    if (check.status === 'withdrawn') expect([null, 'withdrawn']).toContain(check.case_status);
  }
  // Across every run so far: the books balance, the capacity and the exposure totals agree with the holds, disbursements and exposures.
  const unbalanced = await db.query(`select entry_id from ledger_postings group by entry_id having sum(amount_minor) <> 0`);
  expect(unbalanced.rows).toEqual([]);
  const capacity = await db.query<{ reserved_minor: bigint; held: bigint; lent_minor: bigint; lent: bigint }>(
    `select c.reserved_minor, c.lent_minor,
            (select coalesce(sum(amount_minor), 0)::bigint from ledger_holds h where h.account_id = c.account_id and h.state = 'held') as held,
            (select coalesce(-sum(amount_minor), 0)::bigint from ledger_postings p where p.account_id = c.account_id) as lent
       from ledger_lending_capacity c`,
  );
  for (const row of capacity.rows) {
    expect(row.reserved_minor).toBe(row.held);
    expect(row.lent_minor).toBe(row.lent);
  }
  const totals = await db.query<{ total_minor: bigint; recorded: bigint; approved: bigint }>(
    `select t.total_minor,
            (select coalesce(sum(amount_minor), 0)::bigint from loan_exposures where state = 'recorded' and currency = t.currency) as recorded,
            (select coalesce(sum(amount_minor), 0)::bigint from loan_applications where status = 'APPROVED' and currency = t.currency) as approved
       from loan_exposure_totals t`,
  );
  for (const row of totals.rows) {
    expect(row.total_minor).toBe(row.recorded);
    expect(row.recorded).toBe(row.approved);
  }
}

function screening(band: Band): ScreeningResult {
  const match = { list: 'OFAC-SDN', entryId: '0', score: band === 'HIGH' ? 1 : 0.9 } as ScreeningResult['matches'][number];
  return {
    band,
    score: band === 'LOW' ? 0 : match.score,
    pep: false,
    matches: band === 'LOW' ? [] : [match],
    suppressed: [],
    listVersions: [],
  };
}
