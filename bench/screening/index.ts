/**
 * `npm run bench -- screening [options]`: recall, false-positive rate and throughput of sanctions
 * screening against the full OFAC SDN and UN Consolidated lists. BENCHMARKS.md says what is
 * measured and records the results; labelled-set.ts says how the names are made.
 *
 * Found: a listed-name variant is found when the entry it was made from is among the result's
 * matches at MEDIUM or above. False positive: an unlisted name whose result band is MEDIUM or HIGH.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  buildScreeningIndex,
  loadListSource,
  screenParty,
  screeningOptions,
  standardSources,
  type LoadedList,
  type ScreeningResult,
} from '../../src/services/screening/index.ts';
import { integerOption } from '../support/environment.ts';
import { buildNegatives, buildPositives, variantKinds, type Positive } from './labelled-set.ts';
import { seededRandom } from '../../src/backbone/testing/seeded-random.ts';

export const usage = `usage: npm run bench -- screening [options]

  --data DIR        the sanctions directory (ofac/sdn.csv, alt.csv, add.csv, un/UN_consolidated.xml);
                    default ../shared/data/sanctions beside the repository, or PAYSTREAM_SANCTIONS_DIR
  --per-kind N      listed-name variants per kind (default 400; ${variantKinds.length} kinds)
  --negatives N     ordinary unlisted names (default 5000)
  --seed N          seed of the generated names (default 20260227)
  --show N          misses and false positives printed on stderr (default 15)
Progress goes to stderr; the last line on stdout is the result, one JSON object.`;

export async function runScreening(argv: string[]): Promise<object> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      'per-kind': { type: 'string' },
      negatives: { type: 'string' },
      seed: { type: 'string' },
      show: { type: 'string' },
    },
    strict: true,
  });
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const dataDirectory = values.data ?? process.env.PAYSTREAM_SANCTIONS_DIR ?? resolve(repoRoot, '../shared/data/sanctions');
  const perKind = integerOption('--per-kind', values['per-kind'] ?? '400', 1);
  const negativeCount = integerOption('--negatives', values.negatives ?? '5000', 1);
  const seed = integerOption('--seed', values.seed ?? '20260227', 1);
  const show = integerOption('--show', values.show ?? '15', 1);

  const loadStarted = performance.now();
  const lists: LoadedList[] = [];
  for (const source of standardSources(dataDirectory)) {
    const started = performance.now();
    const list = await loadListSource(source);
    lists.push(list);
    log(
      `loaded ${list.version.listId}: ${list.version.entryCount} entries, ${list.version.nameCount} names in ${ms(started)} ms (sha256 ${list.version.sha256.slice(0, 12)}…${list.version.publishedAt ? `, published ${list.version.publishedAt}` : ''})`,
    );
  }
  const indexStarted = performance.now();
  const index = buildScreeningIndex(lists);
  const loadMs = ms(loadStarted);
  log(
    `index: ${index.names.length} names, ${index.vocabulary.length} distinct tokens, built in ${ms(indexStarted)} ms; load + index ${loadMs} ms`,
  );

  const random = seededRandom(seed);
  const positives = buildPositives(lists, perKind, random);
  const negatives = buildNegatives(lists, negativeCount, random);
  log(
    `labelled set (seed ${seed}): ${positives.length} listed-name variants, ${negatives.names.length} unlisted names (${negatives.excluded.length} generated names dropped as listed, e.g. ${negatives.excluded.slice(0, 5).join('; ')})`,
  );

  const options = screeningOptions({ maxMatches: 50 });
  // Warm-up on names that are not in the measured set, so the timed pass measures steady state.
  const warmup = buildNegatives(lists, 300, seededRandom(seed + 1)).names;
  for (const name of warmup) screenParty(index, { name }, options);

  const queries = [...positives.map((positive) => positive.query), ...negatives.names];
  const results: ScreeningResult[] = new Array(queries.length);
  const screenStarted = performance.now();
  const cpuStarted = process.cpuUsage();
  for (let i = 0; i < queries.length; i += 1) results[i] = screenParty(index, { name: queries[i]! }, options);
  const screenMs = performance.now() - screenStarted;
  const cpu = process.cpuUsage(cpuStarted);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const namesPerSec = Math.round(queries.length / (screenMs / 1000));

  const misses: { positive: Positive; result: ScreeningResult }[] = [];
  const recallByKind = new Map<string, { found: number; total: number }>();
  positives.forEach((positive, i) => {
    const result = results[i]!;
    const found = result.matches.some(
      (match) => match.list === positive.list && match.entryId === positive.entryId && match.band !== 'LOW',
    );
    const tally = recallByKind.get(positive.kind) ?? { found: 0, total: 0 };
    tally.total += 1;
    if (found) tally.found += 1;
    else misses.push({ positive, result });
    recallByKind.set(positive.kind, tally);
  });
  const falsePositives = negatives.names
    .map((name, i) => ({ name, result: results[positives.length + i]! }))
    .filter(({ result }) => result.band !== 'LOW');

  // Recall and false-positive rate had MEDIUM started elsewhere: the trade-off the thresholds choose on.
  const expectedScores = positives.map(
    (positive, i) => results[i]!.matches.find((match) => match.list === positive.list && match.entryId === positive.entryId)?.score ?? 0,
  );
  const negativeScores = negatives.names.map((_, i) => results[positives.length + i]!.score);
  log(`MEDIUM at   recall   false positives   (this run: ${options.thresholds.medium}; HIGH at ${options.thresholds.high})`);
  for (const threshold of [0.8, 0.82, 0.84, 0.86, 0.88, 0.9, 0.92]) {
    const recallAt = expectedScores.filter((score) => score >= threshold).length / positives.length;
    const falsePositiveRateAt = negativeScores.filter((score) => score >= threshold).length / negatives.names.length;
    log(`  ${threshold.toFixed(2)}      ${recallAt.toFixed(4)}   ${(falsePositiveRateAt * 100).toFixed(2)} %`);
  }
  for (const [kind, tally] of recallByKind)
    log(`  ${kind.padEnd(20)} ${tally.found}/${tally.total} found (${((tally.found / tally.total) * 100).toFixed(1)} %)`);
  for (const { positive, result } of misses.slice(0, show)) {
    const expected = result.matches.find((match) => match.entryId === positive.entryId);
    log(
      `  miss [${positive.kind}] ${JSON.stringify(positive.query)} from ${JSON.stringify(positive.source)} (${positive.list}/${positive.entryId}): ${expected ? `scored ${expected.score} ${expected.reasons.join('; ')}` : 'not among the matches'}`,
    );
  }
  for (const { name, result } of falsePositives.slice(0, show)) {
    const top = result.matches[0]!;
    log(
      `  false positive ${JSON.stringify(name)} ${result.band} ${top.score}: ${top.list}/${top.entryId} ${JSON.stringify(top.matchedName)} ${top.reasons.join('; ')}`,
    );
  }
  // Wall time is the result; CPU time says how much of it the process actually ran (a busy machine
  // shows as CPU time well under wall time).
  log(
    `screened ${queries.length} names in ${Math.round(screenMs)} ms wall, ${Math.round(cpuMs)} ms CPU, on one thread (${Math.round(queries.length / (cpuMs / 1000))} names per CPU-second)`,
  );

  const found = positives.length - misses.length;
  return {
    bench: 'screening',
    recall: round(found / positives.length),
    falsePositiveRate: round(falsePositives.length / negatives.names.length),
    namesPerSec,
    positives: positives.length,
    negatives: negatives.names.length,
    loadMs,
    seed,
  };
}

function ms(since: number): number {
  return Math.round(performance.now() - since);
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

function log(line: string): void {
  console.error(line);
}
