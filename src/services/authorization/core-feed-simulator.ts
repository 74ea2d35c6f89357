import type { Logger } from 'pino';
import type { Clock } from '../../backbone/clock/clock.ts';
import type { Database } from '../../backbone/storage/database.ts';
import type { TopicAdmin } from '../../backbone/topics/topic-admin.ts';
import type { NewEvent } from '../../backbone/envelope/event-encoder.ts';
import { watermarkKeys } from '../../backbone/stream/index.ts';
import { AuthorizationTopics, type AccountStateMessage } from '../../contracts/authorizations.ts';
import type { BackgroundWorker, EventPublisher } from '../service.ts';

/** An account as the simulated core holds it. */
export interface CoreAccount {
  accountId: string;
  status: 'ACTIVE' | 'BLOCKED' | 'CLOSED';
  ownerUserId: string;
  authorizedUsers?: string[];
  currency: string;
  /** Minor units, as a decimal string ("250000") or a safe integer. */
  availableMinor: string | number;
}

/** What the simulated core sends, and how late. */
export interface CoreFeedOptions {
  accounts: readonly CoreAccount[];
  /**
   * How far behind the core runs: a state update as of T is sent at T + delayMs, and the
   * watermark sent at time t is t − delayMs. Above the grace (3 s), requests stand in.
   */
  delayMs: number;
  /** How often a watermark goes to every partition. Default 200. */
  watermarkIntervalMs?: number;
  /** Each account's state is sent again this often (a core re-sends what it has). Default 60,000. */
  resendIntervalMs?: number;
}

/**
 * A stand-in for the legacy core (issue 20): it sends each account's state on
 * `accounts.state.v1` (as of the moment it runs, `delayMs` late, versions increasing) and, every
 * `watermarkIntervalMs`, a watermark to every partition that is honest about what it sent: every
 * update as of ≤ the watermark was sent before it. For the README and local trials, run inside a
 * platform process (AUTHZ_CORE_FEED); it is not the core, and it does not apply holds (its
 * `confirmedAuthorizationIds` stay empty, so the processor's holds count until their TTL).
 */
export function coreFeedSimulator(
  deps: { db: Database; publisher: EventPublisher; clock: Clock; topicAdmin: Pick<TopicAdmin, 'describeTopics'>; logger: Logger },
  options: CoreFeedOptions,
): BackgroundWorker {
  const watermarkIntervalMs = options.watermarkIntervalMs ?? 200;
  const resendIntervalMs = options.resendIntervalMs ?? 60_000;
  const abort = new AbortController();
  let running: Promise<void> | undefined;
  // Versions start at the clock so a restarted simulator's updates are above those it sent before.
  let version = deps.clock.nowMs() * 1000;
  /** Updates made but not yet sent (they are sent delayMs after their asOf), in asOf order. */
  const queued: { sendAtMs: number; message: AccountStateMessage }[] = [];
  let nextResendMs = deps.clock.nowMs();

  const publish = (events: NewEvent[]) =>
    deps.db.transaction((tx) => deps.publisher.publish(tx, events, { correlationId: 'core-feed-simulator' }));

  async function loop(): Promise<void> {
    const described = await deps.topicAdmin.describeTopics([AuthorizationTopics.accountState]);
    const partitions = described.get(AuthorizationTopics.accountState)?.partitions;
    if (partitions === undefined) throw new Error(`${AuthorizationTopics.accountState} does not exist`);
    const keys = watermarkKeys(partitions);
    while (!abort.signal.aborted) {
      const nowMs = deps.clock.nowMs();
      if (nowMs >= nextResendMs) {
        for (const account of options.accounts)
          queued.push({ sendAtMs: nowMs + options.delayMs, message: stateMessage(account, ++version, nowMs) });
        nextResendMs = nowMs + resendIntervalMs;
      }
      const due = queued.filter((update) => update.sendAtMs <= nowMs);
      queued.splice(0, due.length);
      const events: NewEvent[] = due.map(({ message }) => ({
        topic: AuthorizationTopics.accountState,
        eventType: 'AccountState',
        key: message.accountId!,
        payload: message,
      }));
      // The watermark: every update as of ≤ it has been sent (in this transaction or before).
      const watermark = BigInt(nowMs - options.delayMs);
      for (const key of keys)
        events.push({ topic: AuthorizationTopics.accountState, eventType: 'AccountState', key, payload: watermarkMessage(watermark) });
      await publish(events);
      await deps.clock.sleep(watermarkIntervalMs, abort.signal);
    }
  }

  return {
    name: 'authorization-core-feed-simulator',
    async start() {
      running = loop().catch((error: unknown) => deps.logger.error({ err: error }, 'the core feed simulator stopped'));
    },
    async stop() {
      abort.abort();
      await running;
    },
  };
}

function stateMessage(account: CoreAccount, version: number, asOfMs: number): AccountStateMessage {
  return {
    accountId: account.accountId,
    version: BigInt(version),
    asOf: BigInt(asOfMs),
    status: account.status,
    ownerUserId: account.ownerUserId,
    authorizedUsers: account.authorizedUsers ?? [],
    currency: account.currency,
    availableMinor: BigInt(account.availableMinor),
    confirmedAuthorizationIds: [],
    watermark: null,
  };
}

function watermarkMessage(watermark: bigint): AccountStateMessage {
  return {
    accountId: null,
    version: null,
    asOf: null,
    status: null,
    ownerUserId: null,
    authorizedUsers: [],
    currency: null,
    availableMinor: null,
    confirmedAuthorizationIds: [],
    watermark,
  };
}
