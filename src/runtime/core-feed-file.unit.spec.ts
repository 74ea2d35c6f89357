import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCoreFeed } from './service-catalog.ts';

// AUTHZ_CORE_FEED: the README's example file is read as the simulated core's accounts, and a file
// that is not one stops the start with its path.
describe('the simulated core feed file (AUTHZ_CORE_FEED)', () => {
  it("reads the README's example", () => {
    const feed = readCoreFeed(join(import.meta.dirname, '../../docs/examples/authorization-core-feed.json'));
    expect(feed.delayMs).toBe(500);
    expect(feed.accounts.map((account) => [account.accountId, account.status])).toEqual([
      ['acc-anna', 'ACTIVE'],
      ['acc-carl', 'BLOCKED'],
    ]);
  });

  it('refuses a file without accounts or delayMs, naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'paystream-core-feed-'));
    try {
      const path = join(dir, 'feed.json');
      await writeFile(path, JSON.stringify({ accounts: [] }));
      expect(() => readCoreFeed(path)).toThrow(`AUTHZ_CORE_FEED ${path}: needs "accounts"`);
      await writeFile(path, 'not json');
      expect(() => readCoreFeed(path)).toThrow(`AUTHZ_CORE_FEED ${path}: not a readable JSON file`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
