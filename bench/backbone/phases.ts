/**
 * The phases of the backbone benchmark, written once against the `Rig` so both engines are
 * measured the same way: closed-loop throughput (also the naive pattern, with maxBatchRecords 1)
 * and end-to-end latency at a fixed rate.
 */
import { cpus } from 'node:os';
import { formatCount, progress, sleep } from '../support/progress.ts';
import { epochMs, LatencySamples, type LatencySummary } from '../support/latency.ts';
import { cpuBetween, type CpuSample } from '../support/cpu.ts';
import { statsBetween, type StageStats } from './instruments.ts';
import { preloadInput, publishAtRate, type PacedLoad } from './load.ts';
import type { BenchOutput, StageSpec } from './stage.ts';
import type { Rig } from './rig.ts';

export interface ThroughputResult {
  events: number;
  /** Input events per second, from the stage being ready to the last output being in the log. */
  eventsPerSec: number;
  seconds: number;
}

export interface LatencyResult {
  ratePerSec: number;
  /** Input published → output received by a consumer of the output topic. */
  latency: LatencySummary;
  /** Input published → the stage's handler ran (the publish, the stage's fetch, waiting for earlier batches). */
  toStage: LatencySummary;
  /** The stage's handler ran → output received (the rest of the batch, the commit, the relay, the reader's fetch). */
  fromStage: LatencySummary;
  load: PacedLoad;
}

/** How often the driver counts the output topic's records while it waits for all of them. */
const pollMs = 50;
/** A phase with no progress for this long has stalled: fail rather than hang. */
const stallTimeoutMs = 60_000;

/**
 * Closed loop: `events` inputs are in the log before the stage starts; the clock runs from the
 * stage being ready (its group joined, partitions assigned) to the last output being in the output
 * topic, so the rate includes the stage's first fetch and its warm-up, but not process start.
 * Every phase fails unless the stage wrote exactly one effect row per input event.
 */
export async function measureThroughput(rig: Rig, label: string, spec: StageSpec, events: number): Promise<ThroughputResult> {
  progress(`${label}: ${formatCount(events)} events, maxBatchRecords ${spec.maxBatchRecords}, effects ${spec.effects}`);
  await rig.createTopics([spec.input, spec.output]);
  await preloadInput(rig.bus, spec.input, events);
  const stage = await rig.startStage(spec);
  const startedAtMs = performance.now();
  const cpuAtStart = await rig.sampleCpu();
  const statsAtStart = stage.stats();
  let elapsedMs: number;
  let cpu: CpuSample;
  let stats: StageStats;
  try {
    let outputs = 0;
    let report = { atMs: startedAtMs, outputs: 0 };
    let lastChangeMs = startedAtMs;
    while (outputs < events) {
      await sleep(pollMs);
      const counted = await countRecords(rig, spec.output);
      const nowMs = performance.now();
      if (counted !== outputs) lastChangeMs = nowMs;
      outputs = counted;
      if (nowMs - lastChangeMs > stallTimeoutMs)
        throw new Error(`${label}: no progress for ${stallTimeoutMs / 1000} s at ${outputs} outputs`);
      if (nowMs - report.atMs >= 2000) {
        progress(
          `${label}:   ${formatCount(outputs)} / ${formatCount(events)} outputs (${formatCount(((outputs - report.outputs) * 1000) / (nowMs - report.atMs))}/s)`,
        );
        report = { atMs: nowMs, outputs };
      }
    }
    elapsedMs = performance.now() - startedAtMs;
    cpu = cpuBetween(cpuAtStart, await rig.sampleCpu());
  } finally {
    stats = statsBetween(statsAtStart, await stage.stop());
  }
  const effects = await rig.countEffects(spec.group);
  if (effects !== events)
    throw new Error(
      `${label}: the stage wrote ${effects} effect rows for ${events} input events; exactly-once is broken, the run is invalid`,
    );
  const eventsPerSec = (events * 1000) / elapsedMs;
  progress(`${label}: ${formatCount(eventsPerSec)} events/s (${formatCount(events)} events in ${(elapsedMs / 1000).toFixed(1)} s)`);
  describeStage(label, stats, events);
  describeCpu(label, cpu, events, elapsedMs);
  return { events, eventsPerSec, seconds: elapsedMs / 1000 };
}

/**
 * Open loop at a fixed rate: the driver publishes `ratePerSec` events per second for `durationMs`,
 * each carrying its publish time, and a consumer of the output topic (in the driver) records output
 * received − input published for each. Events published in the first `warmupMs` are left out of
 * the percentiles (JIT compilation, pools and fetch sessions warming up).
 */
export async function measureLatency(
  rig: Rig,
  label: string,
  spec: StageSpec,
  ratePerSec: number,
  durationMs: number,
  warmupMs: number,
): Promise<LatencyResult> {
  progress(
    `${label}: ${formatCount(ratePerSec)} events/s for ${durationMs / 1000} s (first ${warmupMs / 1000} s warm-up), maxBatchRecords ${spec.maxBatchRecords}, effects ${spec.effects}`,
  );
  await rig.createTopics([spec.input, spec.output]);
  const stage = await rig.startStage(spec);
  const total = Math.floor((ratePerSec * durationMs) / 1000);
  const received = new Uint8Array(total);
  const [samples, toStage, fromStage] = [new LatencySamples(), new LatencySamples(), new LatencySamples()];
  let distinct = 0;
  let measuredFromMs = Number.POSITIVE_INFINITY;
  const allReceived = Promise.withResolvers<void>();
  const reader = await rig.bus.subscribe({
    groupId: `${spec.group}-reader`,
    topics: [spec.output],
    startFrom: 'earliest',
    handleBatch: async (batch) => {
      const receivedAtMs = epochMs();
      for (const record of batch.records) {
        const output = JSON.parse(record.value!.toString('utf8')) as Pick<BenchOutput, 'seq' | 'sentAtMs' | 'handledAtMs'>;
        if (received[output.seq]) continue;
        received[output.seq] = 1;
        distinct++;
        if (output.sentAtMs < measuredFromMs) continue;
        samples.record(receivedAtMs - output.sentAtMs);
        toStage.record(output.handledAtMs - output.sentAtMs);
        fromStage.record(receivedAtMs - output.handledAtMs);
      }
      if (distinct >= total) allReceived.resolve();
    },
  });
  let load: PacedLoad;
  let cpuAtWarmupEnd: Promise<CpuSample> | undefined;
  let statsAtWarmupEnd: StageStats | undefined;
  let cpu: CpuSample;
  let measuredMs: number;
  let stats: StageStats;
  try {
    await reader.ready();
    measuredFromMs = epochMs() + warmupMs;
    const warmupTimer = setTimeout(() => {
      statsAtWarmupEnd = stage.stats();
      cpuAtWarmupEnd = rig.sampleCpu();
    }, warmupMs);
    load = await publishAtRate(rig.bus, spec.input, ratePerSec, durationMs);
    clearTimeout(warmupTimer);
    await waitFor(allReceived.promise, 60_000, () => `${label}: ${total - distinct} of ${total} outputs missing 60 s after the last input`);
    measuredMs = epochMs() - measuredFromMs;
    cpu = cpuBetween((await cpuAtWarmupEnd) ?? (await rig.sampleCpu()), await rig.sampleCpu());
  } finally {
    await reader.close();
    stats = await stage.stop();
  }
  const result: LatencyResult = {
    ratePerSec,
    latency: samples.summary(),
    toStage: toStage.summary(),
    fromStage: fromStage.summary(),
    load,
  };
  const { latency, toStage: before, fromStage: after } = result;
  progress(
    `${label}: ${formatCount(latency.count)} samples: p50 ${latency.p50Ms.toFixed(1)} ms, p90 ${latency.p90Ms.toFixed(1)} ms, p99 ${latency.p99Ms.toFixed(1)} ms, ` +
      `p99.9 ${latency.p999Ms.toFixed(1)} ms, max ${latency.maxMs.toFixed(1)} ms; driver: ${formatCount(load.publishes)} publishes, tick lag max ${load.maxScheduleLagMs.toFixed(1)} ms`,
  );
  progress(
    `${label}: split at the stage's handler: before p50 ${before.p50Ms.toFixed(1)} ms p99 ${before.p99Ms.toFixed(1)} ms (publish, fetch, queue); ` +
      `after p50 ${after.p50Ms.toFixed(1)} ms p99 ${after.p99Ms.toFixed(1)} ms (rest of the batch, commit, ${rig.engine === 'kafka' ? 'relay, produce, ' : ''}the reader's fetch)`,
  );
  describeStage(label, statsBetween(statsAtWarmupEnd ?? stats, stats), latency.count);
  describeCpu(label, cpu, latency.count, measuredMs);
  return result;
}

async function countRecords(rig: Rig, topic: string): Promise<number> {
  let total = 0n;
  for (const offset of (await rig.bus.endOffsets(topic)).values()) total += offset;
  return Number(total);
}

/** How the stage did the work: transaction size, the relay's rounds, its CPU per event. */
function describeStage(label: string, stats: StageStats, events: number): void {
  if (stats.handled === 0) return;
  const relay =
    stats.relayRounds > 0
      ? `; relay: ${formatCount(stats.relayPublished)} published in ${formatCount(stats.relayRounds)} rounds (${(stats.relayPublished / stats.relayRounds).toFixed(0)} each)`
      : '';
  progress(
    `${label}: stage: ${formatCount(stats.handled)} handled in ${formatCount(stats.transactions)} transactions (${(stats.handled / Math.max(1, stats.transactions)).toFixed(1)} events each)${relay}; stage CPU ${((stats.cpuMs * 1000) / events).toFixed(0)} µs/event`,
  );
}

/**
 * CPU microseconds per event for each component, and the share of a core each kept busy. Their
 * sum is what one event cost this machine; its cores divided by that is the most it could do.
 */
function describeCpu(label: string, cpu: CpuSample, events: number, elapsedMs: number): void {
  if (events <= 0 || elapsedMs <= 0) return;
  const { 'machine (all)': machineMs = 0, ...components } = cpu;
  const parts = Object.entries(components).map(
    ([component, cpuMs]) =>
      `${component} ${((cpuMs * 1000) / events).toFixed(0)} µs (${((cpuMs / elapsedMs) * 100).toFixed(0)}% of a core)`,
  );
  const cores = cpus().length;
  const perEventUs = (machineMs * 1000) / events;
  progress(
    `${label}: CPU per event: ${parts.join(', ')}; machine ${perEventUs.toFixed(0)} µs/event, ${((machineMs / elapsedMs / cores) * 100).toFixed(0)}% of ${cores} cores busy ` +
      `(${formatCount((cores * 1e6) / perEventUs)} events/s would fill them)`,
  );
}

async function waitFor(promise: Promise<void>, timeoutMs: number, describe: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(describe())), timeoutMs)));
  try {
    await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
