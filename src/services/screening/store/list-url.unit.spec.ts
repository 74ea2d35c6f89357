import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ListWatcher, SanctionsListStore, screenParty, standardSources } from '../index.ts';
import { sanctionsDataDirectory } from '../testing.ts';

/**
 * Lists published over HTTP: a local server serves the real OFAC files with an ETag, the way a
 * bank's list distribution would, and the test republishes one of them.
 */
describe('sanctions lists by URL', () => {
  const files = new Map<string, Uint8Array>();
  let server: Server;
  let base: string;
  let gets = 0;

  beforeAll(async () => {
    const local = standardSources(sanctionsDataDirectory())[0]!;
    if (local.kind !== 'ofac-sdn-csv') throw new Error('expected the OFAC source first');
    for (const [name, path] of [
      ['sdn.csv', local.sdnPath],
      ['alt.csv', local.altPath!],
      ['add.csv', local.addPath!],
    ] as const)
      files.set(`/ofac/${name}`, await readFile(path));
    server = createServer((request, response) => {
      const body = files.get(request.url ?? '');
      if (!body) return void response.writeHead(404).end();
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
      response.writeHead(200, { 'content-type': 'text/csv', etag, 'content-length': body.byteLength });
      if (request.method === 'HEAD') return void response.end();
      gets += 1;
      response.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ofac`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('loads a list from its URLs, and reloads it when the publisher changes a file (ETag), without a restart', async () => {
    const source = { kind: 'ofac-sdn-csv', sdnPath: `${base}/sdn.csv`, altPath: `${base}/alt.csv`, addPath: `${base}/add.csv` } as const;
    const store = new SanctionsListStore({ sources: [source] });
    const [first] = await store.loadAll();
    expect(first!.entryCount).toBeGreaterThan(8_000); // the whole published SDN list came over HTTP
    const watcher = new ListWatcher({ store, sources: [source] });
    await watcher.checkNow({ baselineOnly: true });
    const getsBefore = gets;
    expect(await watcher.checkNow()).toEqual([]);
    expect(gets).toBe(getsBefore); // an unchanged ETag downloads nothing

    const added = '99999998,"QUELLSTROM, Beatrix Test","individual","TEST",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \r\n';
    files.set('/ofac/sdn.csv', new TextEncoder().encode(added + new TextDecoder().decode(files.get('/ofac/sdn.csv'))));
    const [outcome] = await watcher.checkNow();
    expect(outcome).toMatchObject({ status: 'swapped', listId: 'OFAC-SDN', previous: first });
    expect(screenParty(store.index(), { name: 'Beatrix Quellstrom' }).matches[0]).toMatchObject({ entryId: '99999998' });
  });

  it('refuses a list whose URL answers an error, saying which', async () => {
    const store = new SanctionsListStore({ sources: [{ kind: 'un-consolidated-xml', path: `${base}/missing.xml` }] });
    await expect(store.loadAll()).rejects.toMatchObject({
      code: 'SANCTIONS_LIST_UNREADABLE',
      message: expect.stringContaining('HTTP 404'),
    });
  });
});
