import { createHash } from 'node:crypto';

/**
 * SHA-256 over a list's files in a fixed order, each preceded by its role and length, so that
 * swapping content between files (alt.csv and add.csv) changes the version too.
 */
export function contentSha256(parts: readonly { role: string; bytes: Uint8Array }[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(`${part.role}:${part.bytes.byteLength}\n`);
    hash.update(part.bytes);
  }
  return hash.digest('hex');
}
