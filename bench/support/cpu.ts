/**
 * CPU time of the processes behind a benchmark, read from /proc (Linux; elsewhere every reading is
 * 0). It answers "where does the time go" without guessing from wall-clock time: CPU microseconds
 * per event per component add up to what one event costs, and the machine's cores divided by that
 * cost is the most this machine could do with the same code.
 */
import { readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in these ticks (100 on every mainstream architecture). */
const ticksPerSecond = 100;

/** Cumulative CPU milliseconds (user + system) per component name at one moment. */
export type CpuSample = Record<string, number>;

// The reads are synchronous on purpose: with PGlite on the main thread, an asynchronous read would
// complete only when PGlite next lets the event loop turn, i.e. after the work it should measure.

/** Cumulative CPU milliseconds (user + system, all threads) of `pid`; 0 once it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may contain spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** CPU milliseconds the whole machine spent busy (every core, every process, not idle or waiting on I/O). */
export function machineBusyCpuMs(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return ((user! + nice! + system! + irq! + softirq! + steal!) * 1000) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/**
 * Adds up a component whose processes come and go (database backends): a pid's last reading is
 * remembered, so a component's total never drops when one of its processes has ended.
 */
export class CpuAccount {
  readonly #lastByPid = new Map<number, { component: string; cpuMs: number }>();

  sample(components: Record<string, readonly number[]>): CpuSample {
    for (const [component, pids] of Object.entries(components)) {
      for (const pid of pids) {
        const cpuMs = processCpuMs(pid);
        if (cpuMs > 0) this.#lastByPid.set(pid, { component, cpuMs });
      }
    }
    const sample: CpuSample = Object.fromEntries(Object.keys(components).map((component) => [component, 0]));
    for (const { component, cpuMs } of this.#lastByPid.values()) sample[component] = (sample[component] ?? 0) + cpuMs;
    // Everything else on the machine: the broker, and whatever else was running (other users, too).
    const known = Object.values(sample).reduce((sum, cpuMs) => sum + cpuMs, 0);
    sample['machine (all)'] = machineBusyCpuMs();
    sample['rest of machine'] = sample['machine (all)'] - known;
    return sample;
  }
}

/** `b - a` per component. */
export function cpuBetween(a: CpuSample, b: CpuSample): CpuSample {
  return Object.fromEntries(Object.entries(b).map(([component, cpuMs]) => [component, cpuMs - (a[component] ?? 0)]));
}
