import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ListWatcher, SanctionsListStore, screenParty, standardSources, type ListSource } from '../index.ts';
import { sanctionsDataDirectory } from '../testing.ts';

/**
 * The store reads through an in-memory file system seeded with the real OFAC files, so a test can
 * replace a file's content the way a publisher would.
 */
async function realOfacFiles(): Promise<{ source: ListSource; files: Map<string, Uint8Array> }> {
  const source = standardSources(sanctionsDataDirectory())[0]!;
  const files = new Map<string, Uint8Array>();
  if (source.kind !== 'ofac-sdn-csv') throw new Error('expected the OFAC source first');
  for (const path of [source.sdnPath, source.altPath!, source.addPath!]) files.set(path, await readFile(path));
  return { source, files };
}

describe('SanctionsListStore', () => {
  it('refuses a malformed reload, says where, and keeps screening against the previous version', async () => {
    const { source, files } = await realOfacFiles();
    const outcomes: string[] = [];
    const store = new SanctionsListStore({
      sources: [source],
      readFile: async (path) => files.get(path)!,
      onReload: (outcome) => outcomes.push(outcome.status),
    });
    const [loaded] = await store.loadAll();
    const before = store.index();

    const sdnPath = source.kind === 'ofac-sdn-csv' ? source.sdnPath : '';
    const text = new TextDecoder().decode(files.get(sdnPath));
    files.set(sdnPath, new TextEncoder().encode(text.replace('"BANCO NACIONAL DE CUBA",', '"BANCO NACIONAL DE CUBA,')));
    const refused = await store.reload('OFAC-SDN');

    expect(refused).toMatchObject({ status: 'refused', kept: loaded });
    if (refused.status !== 'refused') throw new Error('unreachable');
    expect(refused.error.code).toBe('SANCTIONS_LIST_MALFORMED');
    expect(refused.error.file).toBe(sdnPath);
    expect(refused.error.message).toContain(sdnPath);
    expect(store.index()).toBe(before);
    expect(store.status()[0]).toMatchObject({ listId: 'OFAC-SDN', version: loaded, lastError: refused.error });
    expect(screenParty(store.index(), { name: 'Banco Nacional de Cuba' }).matches[0]).toMatchObject({
      entryId: '306',
      listVersion: loaded!.sha256,
    });
    expect(outcomes).toEqual(['swapped', 'refused']);
  });

  it('swaps in a changed list atomically and records its new version; an unchanged file swaps nothing', async () => {
    const { source, files } = await realOfacFiles();
    const store = new SanctionsListStore({ sources: [source], readFile: async (path) => files.get(path)! });
    const [first] = await store.loadAll();
    expect(await store.reload('OFAC-SDN')).toMatchObject({ status: 'unchanged' });

    const sdnPath = source.kind === 'ofac-sdn-csv' ? source.sdnPath : '';
    const added = '99999999,"VANTANOVA, Aurelia Test","individual","TEST",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n';
    files.set(sdnPath, new TextEncoder().encode(added + new TextDecoder().decode(files.get(sdnPath))));
    const swapped = await store.reload('OFAC-SDN');
    expect(swapped).toMatchObject({ status: 'swapped', previous: first });
    if (swapped.status !== 'swapped') throw new Error('unreachable');
    expect(swapped.version.sha256).not.toBe(first!.sha256);
    expect(screenParty(store.index(), { name: 'Aurelia Vantanova' }).matches[0]).toMatchObject({
      entryId: '99999999',
      listVersion: swapped.version.sha256,
    });
  });

  it('reloads through the watcher when a file changes, without a restart', async () => {
    const { source, files } = await realOfacFiles();
    const store = new SanctionsListStore({ sources: [source], readFile: async (path) => files.get(path)! });
    await store.loadAll();
    const mtimes = new Map<string, number>([...files.keys()].map((path) => [path, 1]));
    const watcher = new ListWatcher({
      store,
      sources: [source],
      stat: async (path) => ({ mtimeMs: mtimes.get(path)!, size: files.get(path)!.byteLength }),
    });
    await watcher.checkNow({ baselineOnly: true });
    expect(await watcher.checkNow()).toEqual([]);

    const altPath = source.kind === 'ofac-sdn-csv' ? source.altPath! : '';
    files.set(
      altPath,
      new TextEncoder().encode(
        `${new TextDecoder().decode(files.get(altPath)).replace(/\u001a\s*$/, '')}306,999999,"aka","BNC TEST ALIAS",-0- \r\n`,
      ),
    );
    mtimes.set(altPath, 2);
    const [outcome] = await watcher.checkNow();
    expect(outcome).toMatchObject({ status: 'swapped', listId: 'OFAC-SDN' });
    expect(screenParty(store.index(), { name: 'BNC Test Alias' }).matches[0]).toMatchObject({ entryId: '306' });
  });

  it('refuses to start when a list cannot be loaded at all', async () => {
    const store = new SanctionsListStore({ sources: [{ kind: 'un-consolidated-xml', path: '/nonexistent/un.xml' }] });
    await expect(store.loadAll()).rejects.toMatchObject({ code: 'SANCTIONS_LIST_UNREADABLE' });
    expect(() => store.index()).toThrow(/no sanctions list loaded/);
  });
});
