/**
 * Waits until a Kafka cluster answers a metadata request with at least the expected number of
 * brokers. A TCP connect alone is not enough: the broker opens its listener before it has
 * registered with the controller, and a topic created in that window fails.
 *
 * Used by scripts/kafka/kafka.sh (`node probe.ts --brokers ... --expect-brokers 3`) and by the test
 * global setup (`probeKafka`).
 */
import { Admin } from '@platformatic/kafka';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

export interface ProbeOptions {
  /** `host:port` of one or more brokers. */
  brokers: readonly string[];
  /** Ready means the metadata lists at least this many (registered, unfenced) brokers. */
  expectedBrokers?: number;
  /** Ready also needs these node ids among the brokers (a restarted node has registered again). */
  nodeIds?: readonly number[];
  /** Give up after this long. */
  timeoutMs?: number;
  /** Processes of the brokers being waited for: if one exits, waiting longer is pointless. */
  pids?: readonly number[];
}

export interface ProbeResult {
  clusterId: string;
  brokerCount: number;
  waitedMs: number;
}

const attemptIntervalMs = 200;

/** Resolves once the cluster is ready; rejects with the last error on timeout or a dead process. */
export async function probeKafka(options: ProbeOptions): Promise<ProbeResult> {
  const expectedBrokers = options.expectedBrokers ?? 1;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const startedAt = Date.now();
  let lastProblem = 'no answer yet';
  while (Date.now() - startedAt < timeoutMs) {
    const dead = (options.pids ?? []).filter((pid) => !isAlive(pid));
    if (dead.length > 0) throw new Error(`broker process ${dead.join(', ')} exited before it was ready`);
    // A fresh client per attempt: the client caches metadata and connections, and a half-started
    // broker must not leave a stale view behind.
    const admin = new Admin({
      clientId: 'paystream-kafka-probe',
      bootstrapBrokers: [...options.brokers],
      retries: false,
      connectTimeout: 1_000,
      requestTimeout: 3_000,
    });
    try {
      const metadata = await admin.metadata({ topics: [], forceUpdate: true });
      const missingIds = (options.nodeIds ?? []).filter((id) => !metadata.brokers.has(id));
      if (metadata.brokers.size >= expectedBrokers && missingIds.length === 0) {
        return { clusterId: metadata.id, brokerCount: metadata.brokers.size, waitedMs: Date.now() - startedAt };
      }
      lastProblem = `${metadata.brokers.size} of ${expectedBrokers} brokers registered`;
      if (missingIds.length > 0) lastProblem += `, node ${missingIds.join(', ')} not yet`;
    } catch (error) {
      lastProblem = describe(error);
    } finally {
      await admin.close().catch(() => {});
    }
    await sleep(attemptIntervalMs);
  }
  throw new Error(`Kafka at ${options.brokers.join(',')} not ready after ${timeoutMs} ms: ${lastProblem}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const nested = (error as Error & { errors?: unknown[] }).errors;
  const cause = Array.isArray(nested) && nested[0] instanceof Error ? `: ${nested[0].message}` : '';
  return `${error.message}${cause}`;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string' },
      'expect-brokers': { type: 'string', default: '1' },
      'timeout-ms': { type: 'string', default: '60000' },
      pids: { type: 'string', default: '' },
      'node-ids': { type: 'string', default: '' },
    },
  });
  if (!values.brokers) {
    console.error('usage: probe.ts --brokers host:port[,...] [--expect-brokers N] [--node-ids ID,...] [--timeout-ms MS] [--pids PID,...]');
    process.exit(64);
  }
  try {
    const result = await probeKafka({
      brokers: values.brokers.split(','),
      expectedBrokers: Number(values['expect-brokers']),
      timeoutMs: Number(values['timeout-ms']),
      pids: values.pids ? values.pids.split(',').map(Number) : [],
      nodeIds: values['node-ids'] ? values['node-ids'].split(',').map(Number) : [],
    });
    console.log(`ready cluster=${result.clusterId} brokers=${result.brokerCount} waited=${result.waitedMs}ms`);
  } catch (error) {
    console.error(`probe: ${describe(error)}`);
    process.exit(1);
  }
}
