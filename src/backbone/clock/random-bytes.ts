import { randomBytes, randomFillSync } from 'node:crypto';

const poolSize = 4096;
const pool = Buffer.allocUnsafeSlow(poolSize);
let used = poolSize;

/**
 * Cryptographically strong random bytes, like `crypto.randomBytes`, drawn from a 4 KiB pool that is
 * refilled from the same CSPRNG when it runs out: one call into OpenSSL per ~400 event ids or trace
 * ids instead of one per id (Node's own `randomUUID` pools the same way). Each call returns a
 * copy, so no two callers ever share bytes.
 */
export function pooledRandomBytes(size: number): Buffer {
  if (size > poolSize / 8) return randomBytes(size);
  if (used + size > poolSize) {
    randomFillSync(pool);
    used = 0;
  }
  const bytes = Buffer.from(pool.subarray(used, used + size));
  used += size;
  return bytes;
}
