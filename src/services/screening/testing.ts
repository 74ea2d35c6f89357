/**
 * Test support: where the real published lists are. Tests run against the real files, found at
 * `../shared/data/sanctions` beside the repository unless PAYSTREAM_SANCTIONS_DIR says otherwise.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function sanctionsDataDirectory(): string {
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
  return process.env.PAYSTREAM_SANCTIONS_DIR ?? resolve(repoRoot, '../shared/data/sanctions');
}

export const pepSampleFile = resolve(dirname(fileURLToPath(import.meta.url)), 'pep-sample.csv');
