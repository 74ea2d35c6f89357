import { randomUUID } from 'node:crypto';
import * as crypto from 'node:crypto';
import { pooledRandomBytes } from './random-bytes.ts';

/**
 * Time and identity, injected so that backoff, timeouts, sagas and ids run deterministically in
 * tests. Production code never calls `Date.now()` or `randomUUID()` directly.
 */
export interface Clock {
  nowMs(): number;
  /** Resolves after `delayMs` on this clock (a fake clock resolves when advanced). */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

export interface IdGenerator {
  /** A UUIDv7 (RFC 9562): time-ordered, so ids sort by creation and index well. */
  eventId(): string;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  sleep: (delayMs, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, delayMs);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

const nativeUuidV7 = (crypto as { randomUUIDv7?: () => string }).randomUUIDv7;

export const uuidV7Ids: IdGenerator = {
  eventId: nativeUuidV7 ? () => nativeUuidV7() : () => uuidV7(Date.now(), pooledRandomBytes(10)),
};

/** RFC 9562 UUIDv7 from a millisecond timestamp and 10 random bytes (for Node versions without crypto.randomUUIDv7). */
export function uuidV7(timestampMs: number, random: Uint8Array): string {
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(timestampMs, 0, 6);
  bytes.set(random.subarray(0, 10), 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Random v4 ids where ordering does not matter (e.g. generated correlation ids). */
export const randomId = (): string => randomUUID();
