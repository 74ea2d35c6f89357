/**
 * A private three-node Kafka cluster for fault-injection tests (scripts/kafka/kafka.sh cluster):
 * every node is broker and controller, topics default to replication factor 3 with
 * min.insync.replicas 2, so one node can be killed while acks=all writes go on.
 *
 *   const cluster = await KafkaCluster.start();
 *   process.kill(await cluster.pid(2), 'SIGKILL');
 *   await cluster.restartNode(2);
 *   await cluster.stop();
 *
 * It needs what the local test broker needs (Java 17+, Maven or the cached jars), even when the
 * run itself uses KAFKA_BROKERS. Each cluster gets its own directory and free ports, so parallel
 * runs on one machine do not collide. Startup takes about 8 s on two cores.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const kafkaScript = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'scripts/kafka/kafka.sh');
const startTimeoutMs = 5 * 60_000;
const commandTimeoutMs = 2 * 60_000;
/** kafka.sh gives up on a base port whose range is taken; another random base is then tried. */
const startAttempts = 5;

export class KafkaCluster {
  readonly brokers: string[];
  readonly dir: string;

  private constructor(dir: string, brokers: string[]) {
    this.dir = dir;
    this.brokers = brokers;
  }

  static async start(): Promise<KafkaCluster> {
    const dir = await mkdtemp(join(tmpdir(), 'paystream-kafka-cluster-'));
    let lastError: unknown;
    for (let attempt = 0; attempt < startAttempts; attempt++) {
      try {
        const bootstrap = await kafkaSh(['cluster', 'start', '--dir', dir, '--base-port', String(randomBasePort())], startTimeoutMs);
        return new KafkaCluster(dir, bootstrap.split(','));
      } catch (error) {
        lastError = error;
        if (!String((error as Error).message).includes('in use')) break;
      }
    }
    await rm(dir, { recursive: true, force: true });
    throw lastError;
  }

  /** The pid of node `node` (1..3), to kill it. */
  async pid(node: number): Promise<number> {
    return Number(await kafkaSh(['cluster', 'pid', String(node), '--dir', this.dir], commandTimeoutMs));
  }

  /** Starts node `node` again on its data (stopping it first if it runs); resolves once it has rejoined. */
  async restartNode(node: number): Promise<void> {
    await kafkaSh(['cluster', 'restart-node', String(node), '--dir', this.dir], startTimeoutMs);
  }

  /** Stops every node and deletes the cluster's directory. */
  async stop(): Promise<void> {
    await kafkaSh(['cluster', 'stop', '--dir', this.dir], commandTimeoutMs);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * Brokers use base..base+2 and controllers base+100..base+102. 20000-31099 lies below Linux's
 * ephemeral range (32768+), so outgoing connections do not take these ports; a clash with another
 * cluster (kafka.sh's default is 29092) makes kafka.sh refuse, and another base is tried.
 */
function randomBasePort(): number {
  return 20_000 + 10 * Math.floor(Math.random() * 1_100);
}

function kafkaSh(args: readonly string[], timeoutMs: number): Promise<string> {
  // The probe inside kafka.sh runs on Node 24: put the Node running this process first on PATH.
  const path = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;
  return new Promise((done, fail) => {
    execFile('bash', [kafkaScript, ...args], { timeout: timeoutMs, env: { ...process.env, PATH: path } }, (error, stdout, stderr) => {
      if (error) fail(new Error(`kafka.sh ${args.join(' ')} failed:\n${stderr.trim().split('\n').slice(-15).join('\n')}`));
      else done(stdout.trim().split('\n').at(-1) ?? '');
    });
  });
}
