/**
 * The chaos side of the payments crash test: at seeded random moments, `kill -9` one of the
 * processes, leave it down for a moment, then start it again while the run goes on. Restarts run
 * in the background, so several processes may be down at once.
 *
 * Victims: first every process once, in a seeded random order (so each kind of crash happens in
 * every run: intake, processing, callbacks, the network), then at random. A process is picked
 * again only after it has been up for `minUpMs`, and the simulator only once: each of its
 * outages opens the RTGS gateway's circuit breaker and sends payments through the retry tiers.
 */
import { between } from './payments-crash-load.ts';
import type { Random } from '../../src/backbone/testing/seeded-random.ts';
import { sleep, type RestartableProcess } from './payments-crash-processes.ts';

export interface ChaosOptions {
  random: Random;
  /** Platform processes that may be killed. */
  platform: readonly RestartableProcess[];
  simulator: RestartableProcess;
  maxKills: number;
  /** Time between two kills. */
  pauseMs: { min: number; max: number };
  /** How long a killed process stays down before it is started again. */
  downMs: { min: number; max: number };
  /** A process is not killed again before it has been ready this long. */
  minUpMs: number;
  /** Time origin of the report. */
  startedAtMs: number;
}

export interface ChaosEvent {
  atMs: number;
  victim: string;
  pid: number;
  downMs: number;
  /** From the restart to its readiness URL answering 200 (-1: not ready yet). */
  restartMs: number;
}

/**
 * Kills and restarts processes until `keepGoing()` turns false or `maxKills` kills were made, then
 * waits until every restarted process is ready. Returns what it did, in the order of the kills.
 */
export async function runChaos(options: ChaosOptions, keepGoing: () => boolean): Promise<ChaosEvent[]> {
  const events: ChaosEvent[] = [];
  const restarts: Promise<void>[] = [];
  const restarting = new Set<RestartableProcess>();
  const failures: unknown[] = [];
  const firstRound = shuffled(options.random, [...options.platform, options.simulator]);
  while (keepGoing() && events.length < options.maxKills) {
    await sleep(between(options.random, options.pauseMs.min, options.pauseMs.max));
    if (!keepGoing()) break;
    const victim = pickVictim(options, firstRound, restarting);
    if (!victim) continue;
    const downMs = between(options.random, options.downMs.min, options.downMs.max);
    const event: ChaosEvent = { atMs: Date.now() - options.startedAtMs, victim: victim.name, pid: victim.pid ?? -1, downMs, restartMs: -1 };
    events.push(event);
    restarting.add(victim);
    await victim.kill();
    const restart = async () => {
      await sleep(downMs);
      const restartedAt = Date.now();
      await victim.start(120_000);
      event.restartMs = Date.now() - restartedAt;
      restarting.delete(victim);
    };
    restarts.push(restart().catch((error: unknown) => void failures.push(error)));
  }
  await Promise.all(restarts);
  if (failures.length > 0) throw failures[0];
  return events;
}

function pickVictim(
  options: ChaosOptions,
  firstRound: RestartableProcess[],
  restarting: ReadonlySet<RestartableProcess>,
): RestartableProcess | undefined {
  const isUp = (candidate: RestartableProcess) => !restarting.has(candidate) && Date.now() - candidate.readyAtMs >= options.minUpMs;
  const next = firstRound.findIndex(isUp);
  if (next >= 0) return firstRound.splice(next, 1)[0];
  if (firstRound.length > 0) return undefined; // wait for the first round's processes to be back
  const candidates = options.platform.filter(isUp);
  return candidates[between(options.random, 0, candidates.length - 1)];
}

function shuffled<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = between(random, 0, i);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
