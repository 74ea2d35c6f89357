/**
 * The phases of the pipeline benchmark: closed-loop throughput and a fixed-rate (open-loop) run.
 * Both see payments complete the way a client of the API would, through the `payments` table
 * (status COMPLETED is what `GET /v1/payments/{id}` answers); the table is read by the platform
 * process on the driver's behalf, a count every second.
 */
import { cpus } from 'node:os';
import { formatCount, progress, sleep } from '../support/progress.ts';
import { cpuBetween, type CpuSample } from '../support/cpu.ts';
import type { LatencySummary } from '../support/latency.ts';
import { closedLoop, LoadTally, openLoop, type ApiClient, type PacedRun, type PaymentMaker } from './load.ts';
import type { DatabaseWork, PipelineRig } from './rig.ts';

export interface PaymentCounts {
  /** Rows in `payments`: every accepted payment. */
  total: number;
  completed: number;
  /** COMPLETED, REJECTED or FAILED. */
  terminal: number;
  /** When the count was read (performance.now()). */
  atMs: number;
}

export interface ThroughputResult {
  /** Payments that reached COMPLETED per second in the measured window. */
  paymentsPerSec: number;
  /** Payments accepted (202) per second in the same window. */
  acceptedPerSec: number;
  seconds: number;
  api: LatencySummary;
}

export interface FixedRateResult {
  ratePerSec: number;
  /** 202 answers per second for requests due in the measured window. */
  achievedPerSec: number;
  /** Payments that reached COMPLETED per second in the measured window. */
  completedPerSec: number;
  /** The platform kept up: it accepted ≥ 97% and completed ≥ 95% of the rate in the window. */
  sustained: boolean;
  /** Request due → 202. */
  api: LatencySummary;
  /** 202 (the intake's received_at) → COMPLETED (the status projection's updated_at), from the table. */
  e2e: LatencySummary;
  load: PacedRun;
}

/** How often the payments table is counted. */
const pollMs = 1_000;
/**
 * Fixed rate: the generator gives up once this many seconds of the rate await an answer, or are
 * accepted but unfinished. A platform that keeps up has a few tens of milliseconds of the rate
 * awaiting an answer and well under a second unfinished; beyond these it is falling behind, and
 * every further request only lengthens the drain.
 */
const maxAnswersBehindSeconds = 1;
const maxPaymentsBehindSeconds = 5;

/** Keeps the latest count of the payments table, reading it at most once per `pollMs`. */
export class PaymentPoller {
  readonly #rig: PipelineRig;
  #latest: PaymentCounts = { total: 0, completed: 0, terminal: 0, atMs: 0 };
  #timer: NodeJS.Timeout | undefined;

  constructor(rig: PipelineRig) {
    this.#rig = rig;
  }

  get latest(): PaymentCounts {
    return this.#latest;
  }

  async read(): Promise<PaymentCounts> {
    const [row] = await this.#rig.query<{ total: unknown; completed: unknown; terminal: unknown }>(
      `select count(*)::int8 as total, count(*) filter (where status = 'COMPLETED')::int8 as completed, count(*) filter (where status_rank >= 100)::int8 as terminal from payments`,
    );
    this.#latest = {
      total: Number(row!.total),
      completed: Number(row!.completed),
      terminal: Number(row!.terminal),
      atMs: performance.now(),
    };
    return this.#latest;
  }

  start(): void {
    const tick = () => {
      this.#timer = setTimeout(() => void this.read().then(tick, (error: Error) => progress(`poll failed: ${error.message}`)), pollMs);
    };
    tick();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

/**
 * Closed loop: `clients` HTTP clients submit payments back to back while fewer than `maxInFlight`
 * accepted payments are unfinished; after `warmupMs` (JIT, pools, consumer fetch sessions, the
 * backlog reaching its steady size), completions are counted for `durationMs`. Then the load stops
 * and the backlog drains.
 */
export async function measureThroughput(
  rig: PipelineRig,
  client: ApiClient,
  maker: PaymentMaker,
  options: { clients: number; maxInFlight: number; warmupMs: number; durationMs: number },
): Promise<ThroughputResult> {
  progress(
    `throughput: ${options.clients} clients, at most ${formatCount(options.maxInFlight)} unfinished payments, ${options.warmupMs / 1000} s warm-up then ${options.durationMs / 1000} s measured`,
  );
  const poller = new PaymentPoller(rig);
  await poller.read();
  poller.start();
  const startMs = performance.now();
  const loop = closedLoop(client, maker, {
    clients: options.clients,
    maxInFlight: options.maxInFlight,
    terminalCount: () => poller.latest.terminal,
    measuredFromMs: startMs + options.warmupMs,
  });
  const reporter = reportEvery(5_000, poller, loop.tally, 'throughput');
  let at: PaymentCounts;
  let end: PaymentCounts;
  let usage: Usage;
  let accepted: number;
  try {
    await sleep(options.warmupMs);
    at = await poller.read();
    const acceptedAtStart = loop.tally.accepted;
    const usageAtStart = await sampleUsage(rig);
    await sleep(options.durationMs);
    end = await poller.read();
    accepted = loop.tally.accepted - acceptedAtStart;
    usage = usageBetween(usageAtStart, await sampleUsage(rig));
  } finally {
    clearInterval(reporter);
    await loop.stop();
    poller.stop();
  }
  const seconds = (end.atMs - at.atMs) / 1000;
  const completed = end.completed - at.completed;
  const result: ThroughputResult = {
    paymentsPerSec: completed / seconds,
    acceptedPerSec: accepted / seconds,
    seconds,
    api: loop.tally.apiLatency.summary(),
  };
  progress(
    `throughput: ${formatCount(result.paymentsPerSec)} payments/s completed (${formatCount(completed)} in ${seconds.toFixed(1)} s), ${formatCount(result.acceptedPerSec)}/s accepted; ` +
      `API under closed loop: p50 ${result.api.p50Ms.toFixed(1)} ms, p99 ${result.api.p99Ms.toFixed(1)} ms`,
  );
  describeRefusals('throughput', loop.tally);
  describeUsage('throughput', usage, completed, seconds * 1000);
  await drain(poller, 'throughput');
  return result;
}

/**
 * Open loop at `ratePerSec` for `durationMs`; requests due in the first `warmupMs` are left out of
 * every figure. API latency is measured by the generator from each request's due time; end-to-end
 * latency is read from the table after the backlog has drained, for the payments received in the
 * measured window: `updated_at` (set by the status projection when it applies COMPLETED, at the
 * start of its transaction) − `received_at` (set by the intake just before its transaction
 * commits and the 202 goes out).
 */
export async function measureFixedRate(
  rig: PipelineRig,
  client: ApiClient,
  maker: PaymentMaker,
  options: { ratePerSec: number; warmupMs: number; durationMs: number },
): Promise<FixedRateResult> {
  progress(
    `fixed-rate: ${formatCount(options.ratePerSec)} payments/s for ${options.durationMs / 1000} s (first ${options.warmupMs / 1000} s warm-up)`,
  );
  const poller = new PaymentPoller(rig);
  const baseline = await poller.read();
  const usageAtPhaseStart = await sampleUsage(rig);
  poller.start();
  const tally = new LoadTally();
  const phaseStartMs = performance.now();
  const measuredFromMs = phaseStartMs + options.warmupMs;
  let atWarmupEnd: Promise<[PaymentCounts, Usage]> | undefined;
  const warmupTimer = setTimeout(() => (atWarmupEnd = Promise.all([poller.read(), sampleUsage(rig)])), options.warmupMs);
  let load: PacedRun;
  let at: PaymentCounts;
  let end: PaymentCounts;
  let usage: Usage;
  let loadEndMs: number;
  try {
    const fallenBehind = (awaitingAnswer: number): string | undefined => {
      const unfinished = tally.accepted - (poller.latest.terminal - baseline.terminal);
      if (awaitingAnswer > Math.max(100, options.ratePerSec * maxAnswersBehindSeconds))
        return `${formatCount(awaitingAnswer)} requests await an answer, over ${maxAnswersBehindSeconds} s of the rate`;
      if (unfinished > Math.max(500, options.ratePerSec * maxPaymentsBehindSeconds))
        return `${formatCount(unfinished)} accepted payments are unfinished, over ${maxPaymentsBehindSeconds} s of the rate`;
      return undefined;
    };
    load = await openLoop(client, maker, tally, {
      ratePerSec: options.ratePerSec,
      durationMs: options.durationMs,
      measuredFromMs,
      fallenBehind,
    });
    loadEndMs = performance.now();
    clearTimeout(warmupTimer);
    // Sending stopped during the warm-up (the platform fell behind at once): no request is due in
    // the measured window, so every figure covers the whole run.
    const warmupReached = load.seconds * 1000 >= options.warmupMs && atWarmupEnd !== undefined;
    const [counts, usageAtStart] = warmupReached ? await atWarmupEnd! : [baseline, usageAtPhaseStart];
    at = counts;
    end = await poller.read();
    usage = usageBetween(usageAtStart, await sampleUsage(rig));
  } finally {
    clearTimeout(warmupTimer);
    poller.stop();
  }
  // A run abandoned during its warm-up has no measured window: every figure covers the whole run.
  const windowFromMs = at === baseline ? phaseStartMs : measuredFromMs;
  const windowFromEpochMs = performance.timeOrigin + windowFromMs;
  const windowToEpochMs = performance.timeOrigin + end.atMs;
  const seconds = (end.atMs - at.atMs) / 1000;
  const api = (at === baseline ? tally.apiLatencyAll : tally.apiLatency).summary();
  // Accepted requests of the window over the time from the window's start to the last answer.
  const achievedPerSec = (api.count * 1000) / (loadEndMs - windowFromMs);
  const completedPerSec = (end.completed - at.completed) / seconds;
  const sustained =
    load.abandoned === undefined && achievedPerSec >= 0.97 * options.ratePerSec && completedPerSec >= 0.95 * options.ratePerSec;
  describeRefusals('fixed-rate', tally);
  describeUsage('fixed-rate', usage, end.completed - at.completed, seconds * 1000);
  await drain(poller, 'fixed-rate');
  const e2e = await endToEndLatency(rig, windowFromEpochMs, windowToEpochMs);
  progress(
    `fixed-rate: asked ${formatCount(options.ratePerSec)}/s; accepted ${formatCount(achievedPerSec)}/s, completed ${formatCount(completedPerSec)}/s in the window${sustained ? '' : ' — NOT SUSTAINED: the latencies below include queueing behind a growing backlog'}; ` +
      `generator: ${formatCount(load.sent)} sent${load.abandoned ? ` (stopped early: ${load.abandoned}; ${at === baseline ? 'during the warm-up, so the figures cover the whole run' : 'figures cover the warm-up’s end to the last answer'})` : ''}, largest send lag ${load.maxSendLagMs.toFixed(1)} ms`,
  );
  progress(
    `fixed-rate: API (due → 202): p50 ${api.p50Ms.toFixed(1)} ms, p90 ${api.p90Ms.toFixed(1)} ms, p99 ${api.p99Ms.toFixed(1)} ms, max ${api.maxMs.toFixed(1)} ms (${formatCount(api.count)} requests)`,
  );
  progress(
    `fixed-rate: end to end (received → COMPLETED): p50 ${e2e.p50Ms.toFixed(1)} ms, p90 ${e2e.p90Ms.toFixed(1)} ms, p99 ${e2e.p99Ms.toFixed(1)} ms, max ${e2e.maxMs.toFixed(1)} ms (${formatCount(e2e.count)} payments)`,
  );
  await describeStages(rig, windowFromEpochMs, windowToEpochMs);
  return { ratePerSec: options.ratePerSec, achievedPerSec, completedPerSec, sustained, api, e2e, load };
}

/**
 * Every accepted payment must reach a terminal status: after the load stops, waits for the rest
 * for as long as they keep finishing, and gives up once none has for `stallMs`.
 */
export async function drain(poller: PaymentPoller, label: string, stallMs = 30_000): Promise<PaymentCounts> {
  let counts = await poller.read();
  let progressAtMs = performance.now();
  let reportAtMs = progressAtMs + 10_000;
  while (counts.terminal < counts.total && performance.now() - progressAtMs < stallMs) {
    await sleep(500);
    const previous = counts;
    counts = await poller.read();
    if (counts.terminal > previous.terminal) progressAtMs = performance.now();
    if (performance.now() >= reportAtMs) {
      progress(`${label}:   draining: ${formatCount(counts.total - counts.terminal)} unfinished`);
      reportAtMs += 10_000;
    }
  }
  const unfinished = counts.total - counts.terminal;
  progress(
    `${label}: drained: ${formatCount(counts.total)} payments accepted so far, ${formatCount(counts.completed)} completed, ${formatCount(counts.terminal - counts.completed)} failed or rejected, ${formatCount(unfinished)} unfinished`,
  );
  return counts;
}

async function endToEndLatency(rig: PipelineRig, fromEpochMs: number, toEpochMs: number): Promise<LatencySummary> {
  const [row] = await rig.query<Record<string, unknown>>(
    `select count(*)::int8 as n, min(ms) as min, max(ms) as max,
            percentile_disc(0.5) within group (order by ms) as p50, percentile_disc(0.9) within group (order by ms) as p90,
            percentile_disc(0.99) within group (order by ms) as p99, percentile_disc(0.999) within group (order by ms) as p999
       from (select extract(epoch from (updated_at - received_at)) * 1000 as ms from payments
              where status = 'COMPLETED' and received_at >= $1::timestamptz and received_at < $2::timestamptz) as completed`,
    [new Date(fromEpochMs).toISOString(), new Date(toEpochMs).toISOString()],
  );
  const value = (key: string) => (row![key] === null ? Number.NaN : Number(row![key]));
  return {
    count: value('n'),
    minMs: value('min'),
    p50Ms: value('p50'),
    p90Ms: value('p90'),
    p99Ms: value('p99'),
    p999Ms: value('p999'),
    maxMs: value('max'),
  };
}

/**
 * Where the end-to-end time goes: for the payments of the window, when each event of the flow was
 * created (its envelope's occurredAt, in the payment's timeline) after the payment was received.
 * A stage whose p50 jumps from the previous one is where payments wait.
 */
async function describeStages(rig: PipelineRig, fromEpochMs: number, toEpochMs: number): Promise<void> {
  const rows = await rig.query<{ topic: string; p50: unknown; p99: unknown }>(
    `select topic, percentile_disc(0.5) within group (order by ms) as p50, percentile_disc(0.99) within group (order by ms) as p99
       from (select t.topic, extract(epoch from (t.occurred_at - p.received_at)) * 1000 as ms
               from payment_timeline t join payments p using (payment_id)
              where p.status = 'COMPLETED' and p.received_at >= $1::timestamptz and p.received_at < $2::timestamptz) as events
      group by topic order by 2`,
    [new Date(fromEpochMs).toISOString(), new Date(toEpochMs).toISOString()],
  );
  if (rows.length === 0) return;
  progress(
    `fixed-rate: event created after receipt (p50 / p99 ms): ${rows.map((row) => `${row.topic} ${Number(row.p50).toFixed(0)} / ${Number(row.p99).toFixed(0)}`).join(', ')}`,
  );
}

function reportEvery(intervalMs: number, poller: PaymentPoller, tally: LoadTally, label: string): NodeJS.Timeout {
  let last = { atMs: performance.now(), completed: poller.latest.completed, accepted: tally.accepted };
  return setInterval(() => {
    const { completed, total, terminal, atMs } = poller.latest;
    const seconds = (atMs - last.atMs) / 1000;
    if (seconds <= 0) return;
    progress(
      `${label}:   ${formatCount((completed - last.completed) / seconds)} completed/s, ${formatCount((tally.accepted - last.accepted) / seconds)} accepted/s, ${formatCount(total - terminal)} unfinished`,
    );
    last = { atMs, completed, accepted: tally.accepted };
  }, intervalMs);
}

function describeRefusals(label: string, tally: LoadTally): void {
  if (tally.refused + tally.failed === 0) return;
  progress(
    `${label}: ${formatCount(tally.refused)} requests refused, ${formatCount(tally.failed)} failed; first: ${tally.firstRefusals.join(' | ')}`,
  );
}

/** What the machine and the database did over a window. */
interface Usage {
  cpu: CpuSample;
  database: DatabaseWork | undefined;
}

async function sampleUsage(rig: PipelineRig): Promise<Usage> {
  const [cpu, database] = await Promise.all([rig.sampleCpu(), rig.sampleDatabaseWork()]);
  return { cpu, database };
}

function usageBetween(a: Usage, b: Usage): Usage {
  const database =
    a.database && b.database
      ? {
          transactions: b.database.transactions - a.database.transactions,
          rowsRead: b.database.rowsRead - a.database.rowsRead,
          rowsWritten: b.database.rowsWritten - a.database.rowsWritten,
        }
      : undefined;
  return { cpu: cpuBetween(a.cpu, b.cpu), database };
}

function describeUsage(label: string, usage: Usage, payments: number, elapsedMs: number): void {
  describeCpu(label, usage.cpu, payments, elapsedMs);
  if (!usage.database || payments <= 0) return;
  // Rows read per payment is the figure that grows when a plan scans what it should probe.
  const { transactions, rowsRead, rowsWritten } = usage.database;
  progress(
    `${label}: PostgreSQL per completed payment: ${(transactions / payments).toFixed(1)} transactions, ${formatCount(rowsRead / payments)} rows read, ` +
      `${formatCount(rowsWritten / payments)} rows written (pg_stat_database)`,
  );
}

/**
 * CPU microseconds per completed payment for each component, and the share of a core each kept
 * busy. Their sum is what one payment cost this machine; its cores divided by that is the most it
 * could complete with the same code.
 */
function describeCpu(label: string, cpu: CpuSample, payments: number, elapsedMs: number): void {
  if (payments <= 0 || elapsedMs <= 0) return;
  const { 'machine (all)': machineMs = 0, ...components } = cpu;
  const parts = Object.entries(components).map(
    ([component, cpuMs]) =>
      `${component} ${((cpuMs * 1000) / payments).toFixed(0)} µs (${((cpuMs / elapsedMs) * 100).toFixed(0)}% of a core)`,
  );
  const cores = cpus().length;
  const perPaymentUs = (machineMs * 1000) / payments;
  progress(
    `${label}: CPU per completed payment: ${parts.join(', ')}; machine ${perPaymentUs.toFixed(0)} µs, ${((machineMs / elapsedMs / cores) * 100).toFixed(0)}% of ${cores} cores busy ` +
      `(${formatCount((cores * 1e6) / perPaymentUs)} payments/s would fill them)`,
  );
}
