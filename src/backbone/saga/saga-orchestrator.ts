import type { Logger } from 'pino';
import type { Clock, IdGenerator } from '../clock/clock.ts';
import type { EventCodec } from '../codec/event-codec.ts';
import type { ConsumerOptions, EventHandler } from '../consumer/index.ts';
import type { EventCause } from '../envelope/event-encoder.ts';
import { NotifiedLoop } from '../concurrency/notified-loop.ts';
import { permanentError } from '../errors.ts';
import { FaultPoints, type FaultInjector } from '../faults.ts';
import type { Outbox } from '../outbox/outbox.ts';
import type { Database, SqlRunner } from '../storage/database.ts';
import {
  decideSaga,
  evolveSaga,
  type SagaDecision,
  type SagaDefinition,
  type SagaEvent,
  type SagaInput,
  type SagaState,
} from './definition.ts';
import type { SagaMetrics } from './saga-metrics.ts';
import { BusCommandChannel } from './bus-command-channel.ts';
import type { CommandChannel, SagaReply } from './command-channel.ts';
import { parseSagaJson, stringifySagaJson } from './saga-json.ts';

// The messages and the participant's side moved to command-channel.ts and bus-command-channel.ts;
// exported from here too, as before.
export {
  sagaCommandEventType,
  sagaReplyEventType,
  sagaReplyTo,
  type SagaCommandMessage,
  type SagaParticipantHandler,
  type SagaReply,
} from './command-channel.ts';
export { sagaParticipant } from './bus-command-channel.ts';

export interface SagaOrchestratorDeps {
  db: Database;
  outbox: Outbox;
  codec: EventCodec;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  metrics?: SagaMetrics;
  /**
   * How commands reach the participants. Default: the event bus, through `outbox` (the
   * `BusCommandChannel`), as before there were channels.
   */
  channel?: CommandChannel;
  /** Crash points for the fault-injection tests (test/fault/); none in production. */
  faults?: FaultInjector;
}

export interface SagaOrchestratorOptions {
  definition: SagaDefinition;
  /** The topic participants reply on; the orchestrator consumes it as group `consumerName`. */
  replyTopic: string;
  /** The reply consumer's group. Default `saga.<type>`. */
  consumerName?: string;
  /** Longest pause of the timer worker between rounds when no timer is due sooner. Default 1000. */
  timerPollMsMax?: number;
  /** Timers fired per round at most. Default 100. */
  timersPerRound?: number;
  /**
   * Called in the transaction of every change of an instance, after its facts are recorded: the
   * application keeps its own view in step (a loan application becomes APPROVED in the same
   * transaction as its saga's `SagaCompleted`), exactly once, whatever is delivered twice.
   */
  onTransition?: (tx: SqlRunner, transition: SagaTransition) => Promise<void>;
}

/** What changed in one instance: its new state and the facts just recorded. */
export interface SagaTransition {
  sagaId: string;
  sagaType: string;
  state: SagaState;
  events: readonly SagaEvent[];
  outcome: Exclude<SagaDecision['outcome'], 'ignored'>;
}

/**
 * Runs the instances of one saga definition. Every change of an instance happens in one database
 * transaction that locks its row: the facts appended to its history, its new state, its timer, the
 * commands it sends (through the command channel's outbox) and, for a reply, the reply consumer's position. So a step
 * is applied once whatever is delivered twice, and a crash leaves either all of it or none.
 */
export class SagaOrchestrator {
  readonly #deps: SagaOrchestratorDeps;
  readonly #definition: SagaDefinition;
  readonly #replyTopic: string;
  readonly #consumerName: string;
  readonly #timerPollMsMax: number;
  readonly #timersPerRound: number;
  readonly #onTransition: SagaOrchestratorOptions['onTransition'];
  readonly #channel: CommandChannel;
  #timerLoop: NotifiedLoop | undefined;

  constructor(deps: SagaOrchestratorDeps, options: SagaOrchestratorOptions) {
    const { definition } = options;
    if (definition.steps.length === 0) throw new TypeError(`saga ${definition.type} has no steps`);
    if (definition.maxAttempts < 1 || definition.compensation.maxAttempts < 1)
      throw new TypeError(`saga ${definition.type}: attempts must be at least 1`);
    this.#deps = deps;
    this.#definition = definition;
    this.#replyTopic = options.replyTopic;
    this.#consumerName = options.consumerName ?? `saga.${definition.type}`;
    this.#timerPollMsMax = options.timerPollMsMax ?? 1000;
    this.#timersPerRound = options.timersPerRound ?? 100;
    this.#onTransition = options.onTransition;
    this.#channel = deps.channel ?? new BusCommandChannel({ outbox: deps.outbox, codec: deps.codec, clock: deps.clock, ids: deps.ids });
  }

  /**
   * Starts instance `sagaId` with `data` (JSON; bigints kept exact) and sends its first command.
   * In `tx` when given, so that the caller's own record of the request commits with it. Starting an
   * id that exists changes nothing and resolves false.
   */
  async start(sagaId: string, data: unknown, tx?: SqlRunner): Promise<boolean> {
    const run = (runner: SqlRunner) => this.#apply(runner, sagaId, { kind: 'start', sagaId, data }, { correlationId: sagaId });
    const outcome = tx ? await run(tx) : await this.#deps.db.transaction(run);
    return outcome !== 'ignored';
  }

  /** The reply consumer, for a `ConsumerRunner`: each reply is applied in the batch's transaction. */
  replyConsumer(): ConsumerOptions {
    const handler: EventHandler<SagaReply> = async (event, { tx }) => {
      const reply = event.payload;
      // A reply the orchestrator cannot read is a participant's bug: dead-lettered, not retried.
      if (typeof reply?.sagaId !== 'string' || typeof reply.commandId !== 'string' || typeof reply.ok !== 'boolean')
        throw permanentError('a saga reply needs sagaId, commandId and ok');
      await this.#apply(
        tx,
        reply.sagaId,
        { kind: 'reply', commandId: reply.commandId, ok: reply.ok, ...(reply.reason === undefined ? {} : { reason: reply.reason }) },
        // The next command is caused by the reply: same flow, a child span of its trace.
        { correlationId: event.envelope.correlationId, eventId: event.envelope.eventId, traceparent: event.envelope.traceparent },
      );
    };
    return { name: this.#consumerName, topics: [this.#replyTopic], handler: handler as EventHandler };
  }

  /**
   * Fires the timers due on the clock, each in a transaction of its own; resolves to how many. The
   * timer worker calls it; tests call it after moving their clock forward.
   */
  async fireDueTimers(): Promise<number> {
    const nowMs = this.#deps.clock.nowMs();
    const due = await this.#deps.db.query<{ saga_id: string; command_id: string; attempt: number }>(
      `select t.saga_id, t.command_id, t.attempt from saga_timers t join saga_instances i using (saga_id)
        where t.due_at_ms <= $1 and i.saga_type = $2 order by t.due_at_ms limit $3`,
      [nowMs, this.#definition.type, this.#timersPerRound],
    );
    for (const timer of due.rows) {
      const outcome = await this.#deps.db.transaction(async (tx) => {
        const outcome = await this.#apply(
          tx,
          timer.saga_id,
          { kind: 'timer', commandId: timer.command_id, attempt: timer.attempt },
          { correlationId: timer.saga_id },
        );
        // A timer the instance no longer waits for (a reply won the race) must not fire again.
        if (outcome === 'ignored') {
          const stale = [timer.saga_id, timer.command_id, timer.attempt];
          await tx.query(`delete from saga_timers where saga_id = $1 and command_id = $2 and attempt = $3`, stale);
        }
        return outcome;
      });
      if (outcome !== 'ignored') this.#deps.faults?.reach(FaultPoints.sagaTimerAfterCommit, this.#commandDetail(timer.command_id));
    }
    return due.rows.length;
  }

  /** Starts the timer worker: a loop that fires due timers and sleeps until the next is due. */
  async startTimers(onError: (error: unknown) => void): Promise<void> {
    this.#timerLoop ??= new NotifiedLoop({
      db: this.#deps.db,
      round: async () => {
        await this.fireDueTimers();
        // This type's timers only: another type's overdue timer is its own worker's, and must not keep this one awake.
        const next = await this.#deps.db.query<{ due_at_ms: bigint | null }>(
          `select min(t.due_at_ms) as due_at_ms from saga_timers t join saga_instances i using (saga_id) where i.saga_type = $1`,
          [this.#definition.type],
        );
        const dueAtMs = next.rows[0]?.due_at_ms;
        if (dueAtMs === null || dueAtMs === undefined) return this.#timerPollMsMax;
        return Math.max(0, Math.min(this.#timerPollMsMax, Number(dueAtMs) - this.#deps.clock.nowMs()));
      },
      failureBackoffMs: this.#timerPollMsMax,
      onError,
    });
    await this.#timerLoop.start();
  }

  async stop(): Promise<void> {
    await this.#timerLoop?.stop();
  }

  async #apply(tx: SqlRunner, sagaId: string, input: SagaInput, cause: EventCause): Promise<SagaDecision['outcome']> {
    const nowMs = this.#deps.clock.nowMs();
    const found = await tx.query<{ state: string; command_sent_at_ms: bigint | null }>(
      `select state, command_sent_at_ms from saga_instances where saga_id = $1 for update`,
      [sagaId],
    );
    const row = found.rows[0];
    const state = row ? (parseSagaJson(row.state) as SagaState) : undefined;
    const decision = decideSaga(this.#definition, state, input);
    if (decision.outcome === 'ignored') return decision.outcome;
    const next = decision.events.reduce<SagaState | undefined>(evolveSaga, state)!;
    const sentAtMs =
      decision.commands.length > 0 ? nowMs : row?.command_sent_at_ms === null || row === undefined ? null : Number(row.command_sent_at_ms);
    const now = new Date(nowMs);
    if (row) {
      await tx.query(`update saga_instances set status = $2, state = $3, command_sent_at_ms = $4, updated_at = $5 where saga_id = $1`, [
        sagaId,
        next.status,
        stringifySagaJson(next),
        sentAtMs,
        now,
      ]);
    } else {
      await tx.query(
        `insert into saga_instances (saga_id, saga_type, status, state, command_sent_at_ms, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $6)`,
        [sagaId, this.#definition.type, next.status, stringifySagaJson(next), sentAtMs, now],
      );
    }
    await this.#record(tx, sagaId, decision.events, now);
    if (decision.timer) {
      await tx.query(
        `insert into saga_timers (saga_id, command_id, attempt, due_at_ms) values ($1, $2, $3, $4)
         on conflict (saga_id) do update set command_id = excluded.command_id, attempt = excluded.attempt, due_at_ms = excluded.due_at_ms`,
        [sagaId, decision.timer.commandId, decision.timer.attempt, nowMs + decision.timer.dueInMs],
      );
    } else {
      await tx.query(`delete from saga_timers where saga_id = $1`, [sagaId]);
    }
    await this.#channel.send(
      tx,
      decision.commands.map(({ topic, ...command }) => ({
        destination: topic,
        key: sagaId,
        message: { ...command, replyTopic: this.#replyTopic },
      })),
      cause,
    );
    await this.#onTransition?.(tx, {
      sagaId,
      sagaType: this.#definition.type,
      state: next,
      events: decision.events,
      outcome: decision.outcome,
    });
    this.#deps.faults?.reach(FaultPoints.sagaBeforeCommit, this.#pointDetail(decision.events));
    this.#observe(decision.events, row?.command_sent_at_ms ?? null, nowMs);
    if (decision.outcome === 'stuck') {
      const stuck = decision.events.find((event) => event.type === 'SagaStuck');
      // Ids and the step's name only: the reason may quote a participant, and the data is the customer's.
      this.#deps.logger.warn(
        { sagaId, sagaType: this.#definition.type, step: stuck && this.#definition.steps[stuck.step]?.compensation },
        'saga STUCK on a compensation that failed past its retries',
      );
    }
    return decision.outcome;
  }

  /** `<type>/<name>` of the step or compensation the transition is about (its last fact's), for crash points. */
  #pointDetail(events: readonly SagaEvent[]): string {
    const last = [...events].reverse().find((event) => 'step' in event);
    const step = last && 'step' in last ? this.#definition.steps[last.step] : undefined;
    const name = last?.type.startsWith('Compensation') || last?.type === 'SagaStuck' ? step?.compensation : step?.name;
    return `${this.#definition.type}/${name ?? 'start'}`;
  }

  /** `<type>/<name>` of a command id (`<sagaId>/<step|compensation>/<index>`), for crash points. */
  #commandDetail(commandId: string): string {
    const [index, kind] = commandId.split('/').reverse();
    const step = this.#definition.steps[Number(index)];
    return `${this.#definition.type}/${(kind === 'compensation' ? step?.compensation : step?.name) ?? commandId}`;
  }

  /** Appends the facts to the instance's history, numbered after the last one. */
  async #record(tx: SqlRunner, sagaId: string, events: readonly SagaEvent[], now: Date): Promise<void> {
    const last = await tx.query<{ seq: number | null }>(`select max(seq) as seq from saga_history where saga_id = $1`, [sagaId]);
    let seq = last.rows[0]?.seq ?? 0;
    for (const event of events) {
      seq += 1;
      const step = 'step' in event ? event.step : null;
      const definitionStep = step === null ? undefined : this.#definition.steps[step];
      const name =
        event.type.startsWith('Compensation') || event.type === 'SagaStuck' ? definitionStep?.compensation : definitionStep?.name;
      const attempt = 'attempt' in event ? event.attempt : null;
      const detail = 'reason' in event ? event.reason : null;
      await tx.query(
        `insert into saga_history (saga_id, seq, event_type, step, name, attempt, detail, recorded_at) values ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [sagaId, seq, event.type, step, name ?? null, attempt, detail, now],
      );
    }
  }

  #observe(events: readonly SagaEvent[], sentAtMs: bigint | null, nowMs: number): void {
    const metrics = this.#deps.metrics;
    if (!metrics) return;
    const type = this.#definition.type;
    const elapsedSeconds = sentAtMs === null ? undefined : Math.max(0, nowMs - Number(sentAtMs)) / 1000;
    for (const event of events) {
      const step = 'step' in event ? this.#definition.steps[event.step] : undefined;
      if (event.type === 'StepSucceeded' || event.type === 'StepFailed') {
        const outcome = event.type === 'StepSucceeded' ? 'succeeded' : 'failed';
        if (elapsedSeconds !== undefined)
          metrics.stepDurationSeconds.observe({ saga_type: type, step: step!.name, outcome }, elapsedSeconds);
      } else if (event.type === 'StepTimedOut') {
        metrics.timeouts.inc({ saga_type: type, step: step!.name });
      } else if (event.type === 'CompensationSucceeded' || event.type === 'CompensationFailed') {
        const outcome = event.type === 'CompensationSucceeded' ? 'succeeded' : 'failed';
        metrics.compensations.inc({ saga_type: type, step: step!.compensation!, outcome });
        if (event.type === 'CompensationFailed' && event.reason === 'no reply')
          metrics.timeouts.inc({ saga_type: type, step: step!.compensation! });
      } else if (event.type === 'SagaStuck') {
        metrics.stuck.inc({ saga_type: type });
      }
    }
  }
}
