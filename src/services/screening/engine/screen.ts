/**
 * `screenParty`: the screening verdict for one party against an index, a pure function of
 * (index, party, options). It does no I/O and reads no clock, so the same inputs give the same
 * result, and the result names every list version it was taken against.
 *
 * 1. Tokenise the party's name (normalize.ts).
 * 2. Candidates: for each party token, the close vocabulary tokens (blocking keys + Jaro-Winkler)
 *    and the names they occur in. A name is a candidate when the tokens that reach it could give it
 *    a score worth reporting (`candidateNames`): a name reached only through one "muhammad" or
 *    "trading" cannot, and there are thousands of them.
 * 3. Score each candidate name (name-score.ts); an entry scores as its best name. Close pairs are
 *    known from step 2; other pairs are compared only where a loose pair could count.
 * 4. Adjust by date of birth and country where both sides have them; band; allow list; PEP.
 */
import type { BirthDate, ListEntry, Party, RiskBand, ScreeningMatch, ScreeningResult } from '../model.ts';
import { countryCode } from './countries.ts';
import { tokenizeName } from './normalize.ts';
import { looseContextMatches, scoreBound, scoreName, type TokenPair } from './name-score.ts';
import { defaultScreeningOptions, type ScreeningAdjustments, type ScreeningOptions, type ScreeningThresholds } from './options.ts';
import { shareStride, type ScreeningIndex } from './screening-index.ts';
import { phoneticKey } from './phonetic-key.ts';
import { withinEdits } from './similarity.ts';

/** Party names longer than this many tokens are cut (the mask below has one bit per token). */
const maxPartyTokens = 16;
/** Set in a candidate's mask when a party token equals a rare token of it (name-score.ts: context). */
const rareBit = 1 << 30;

export function screenParty(index: ScreeningIndex, party: Party, options: ScreeningOptions = defaultScreeningOptions): ScreeningResult {
  const tokens = dedupe(tokenizeName(party.name)).slice(0, maxPartyTokens);
  const empty: ScreeningResult = { band: 'LOW', score: 0, pep: false, matches: [], suppressed: [], listVersions: [...index.versions] };
  if (tokens.length === 0) return empty;

  const similarByToken = tokens.map((token) => index.similarTokens(token.text, token.folded));
  const maxBonus = options.adjustments.countryMatch + options.adjustments.birthDateExact;
  const candidates = candidateNames(
    index,
    tokens.map((token) => token.weight),
    similarByToken,
    options.thresholds.report - maxBonus,
  );

  const partyWeights = tokens.map((token) => token.weight);
  // The consonant skeletons of the party tokens the lists themselves contain (see `namesake`).
  const partySkeletons = tokens.map((token) => (index.tokenId(token.text) === undefined ? undefined : phoneticKey(token.folded)));
  // Pairs the blocking keys did not pair (loose ones: two edits in one short token, say) are
  // compared directly, once, and only where name-score.ts asks for them.
  const direct = new Map<number, number>();
  const best = new Map<number, { score: number; name: number; pairs: TokenPair[] }>();
  for (const nameId of candidates) {
    const name = index.names[nameId]!;
    const entry = index.entries[name.entry]!.entry;
    const individual = entry.kind === 'individual';
    const similarity = (party: number, listed: number, looseEdits: number): number => {
      const id = name.tokens[listed]!;
      const close = similarByToken[party]!.get(id);
      if (close !== undefined) return individual ? namesake(close, partySkeletons[party], index.skeletons[id]!) : close;
      const token = tokens[party]!;
      // Every close pair is among the similar tokens, but for initials ("j" / "john").
      if (looseEdits === 0 && token.text.length > 1 && index.vocabulary[id]!.length > 1) return 0;
      const key = party * index.vocabulary.length + id;
      let value = direct.get(key);
      if (value === undefined) {
        value = index.compare(token.text, token.folded, id);
        direct.set(key, value);
      }
      if (
        value < 0 &&
        looseEdits < Infinity &&
        !withinEdits(token.text, index.vocabulary[id]!, looseEdits) &&
        !withinEdits(token.folded, index.foldedVocabulary[id]!, looseEdits)
      )
        return 0;
      return value;
    };
    const scored = scoreName(
      partyWeights,
      name.weights,
      similarity,
      name.tokens,
      (listed) => index.entryCounts[name.tokens[listed]!]! <= index.rareTokenEntries,
    );
    const score = entry.names[name.nameIndex]!.weak ? scored.score * options.adjustments.weakNameFactor : scored.score;
    const previous = best.get(name.entry);
    if (!previous || score > previous.score) best.set(name.entry, { score, name: nameId, pairs: scored.pairs });
  }

  const partyCountry = countryCode(party.country);
  const partyBirth = parseBirthDate(party.dateOfBirth);
  const matches: ScreeningMatch[] = [];
  const suppressed: ScreeningMatch[] = [];
  for (const [entryPosition, found] of best) {
    // Adjustments only move a name that already resembles the party; they cannot make one.
    if (found.score < options.thresholds.report - maxBonus) continue;
    const { version, entry } = index.entries[entryPosition]!;
    const name = index.names[found.name]!;
    const reasons = [
      tokenReason(
        tokens.map((token) => token.text),
        found.pairs,
        (listed) => index.vocabulary[name.tokens[listed]!]!,
      ),
    ];
    if (entry.names[name.nameIndex]!.weak) reasons.push(`weak name (×${options.adjustments.weakNameFactor})`);
    let score = found.score;
    score += birthDateAdjustment(entry, partyBirth, options.adjustments, reasons);
    score += countryAdjustment(entry, partyCountry, options.adjustments, reasons);
    score = Math.min(1, Math.max(0, score));
    if (score < options.thresholds.report) continue;
    const match: ScreeningMatch = {
      list: version.listId,
      category: version.category,
      listVersion: version.sha256,
      entryId: entry.entryId,
      entryKind: entry.kind,
      primaryName: entry.names[0]!.name,
      matchedName: entry.names[name.nameIndex]!.name,
      matchedNameType: entry.names[name.nameIndex]!.type,
      program: entry.programs.join(', '),
      nameScore: round(found.score),
      score: round(score),
      band: bandOf(score, options.thresholds),
      reasons,
    };
    const cleared = options.allowList.find(party.name, party.account, version.listId, entry.entryId);
    if (cleared) {
      match.reasons.push(`allow list: confirmed false positive${cleared.reason ? ` (${cleared.reason})` : ''}`);
      suppressed.push(match);
    } else matches.push(match);
  }
  matches.sort(byScore);
  suppressed.sort(byScore);

  const topSanctions = matches.find((match) => match.category === 'sanctions')?.score ?? 0;
  const topPep = matches.find((match) => match.category === 'pep')?.score ?? 0;
  const pep = topPep >= options.thresholds.medium;
  let band = bandOf(topSanctions, options.thresholds);
  // A PEP is not sanctioned, but a payment to one needs a second look: the band goes up one step.
  if (pep) band = band === 'LOW' ? 'MEDIUM' : 'HIGH';
  return {
    band,
    score: topSanctions,
    pep,
    matches: matches.slice(0, options.maxMatches),
    suppressed: suppressed.slice(0, options.maxMatches),
    listVersions: [...index.versions],
  };
}

/**
 * A close, inexact pair in a person's name is only loose when the party's token is itself a token
 * of the lists and has another consonant skeleton (phonetic-key.ts) than the listed one: the party
 * wrote a name of its own, not a misspelling. "Chen" is not "Cheng" mistyped, nor "Jing" "Jian",
 * nor "Yang" "Yan". Transliterations keep their skeleton ("Mohamed" / "Muhammad", both "mmd";
 * "Bashir" / "Bachir") and stay close; so do typos, which seldom make a listed name. Company
 * names are words, not a stock of names, and are left alone.
 */
function namesake(similarity: number, partySkeleton: string | undefined, listedSkeleton: string): number {
  return similarity > 0 && similarity < 1 && partySkeleton !== undefined && partySkeleton !== listedSkeleton ? -similarity : similarity;
}

export function bandOf(score: number, thresholds: ScreeningThresholds): RiskBand {
  if (score >= thresholds.high) return 'HIGH';
  if (score >= thresholds.medium) return 'MEDIUM';
  return 'LOW';
}

/**
 * The names worth scoring. Each party token marks the names its similar tokens occur in; a name's
 * marks bound its score from above (as if every marked token matched exactly and every unmarked
 * one not at all), and only names whose bound reaches `floorScore` are scored. A name reached only
 * through "muhammad" by a two-token party cannot get there, and there are hundreds of those.
 */
function candidateNames(
  index: ScreeningIndex,
  weights: number[],
  similarByToken: ReadonlyMap<number, number>[],
  floorScore: number,
): number[] {
  const { scratch } = index;
  scratch.generation += 1;
  const generation = scratch.generation;
  const touched: number[] = [];
  // Particles ("al", "bin", "de") occur in half the names and decide nothing: they do not
  // nominate candidates (the bound assumes they match) unless the name has nothing else.
  const nominating = weights.map((weight) => weight === 1);
  if (!nominating.some(Boolean)) nominating.fill(true);
  let assumedWeight = 0;
  let assumedTokens = 0;
  weights.forEach((weight, party) => {
    if (!nominating[party]) {
      assumedWeight += weight;
      assumedTokens += 1;
    }
  });
  const partyWeightTotal = weights.reduce((sum, weight) => sum + weight, 0);
  similarByToken.forEach((similar, party) => {
    if (!nominating[party]) return;
    const bit = 1 << party;
    for (const [id, value] of similar) {
      const bits = value === 1 && index.entryCounts[id]! <= index.rareTokenEntries ? bit | rareBit : bit;
      const posting = index.postings[id]!;
      for (let k = 0; k < posting.length; k += 1) {
        const nameId = posting[k]!;
        if (scratch.stamp[nameId] !== generation) {
          scratch.stamp[nameId] = generation;
          scratch.mask[nameId] = 0;
          touched.push(nameId);
        }
        scratch.mask[nameId]! |= bits;
      }
    }
  });
  // Reached weight and token count for each set of reaching party tokens, once per query.
  const tableSize = weights.length <= 10 ? 1 << weights.length : 0;
  const reachedWeights = new Float64Array(tableSize);
  const reachedCounts = new Int32Array(tableSize);
  for (let bits = 0; bits < tableSize; bits += 1) {
    for (let party = 0; party < weights.length; party += 1) {
      if (bits & (1 << party)) {
        reachedWeights[bits]! += weights[party]!;
        reachedCounts[bits]! += 1;
      }
    }
  }
  const fullTokens = weights.length - assumedTokens;
  const { shares } = index;
  return touched.filter((nameId) => {
    const mask = scratch.mask[nameId]!;
    const bits = mask & ~rareBit;
    let reachedWeight = assumedWeight;
    let reached = 0;
    if (bits < tableSize) {
      reachedWeight += reachedWeights[bits]!;
      reached = reachedCounts[bits]!;
    } else {
      for (let party = 0; party < weights.length; party += 1) {
        if (bits & (1 << party)) {
          reachedWeight += weights[party]!;
          reached += 1;
        }
      }
    }
    // With enough tokens in common, the party's other tokens may still pair loosely (two edits in a
    // short token are not among the similar tokens): the bound assumes they do.
    if (reached >= looseContextMatches || mask & rareBit) {
      reachedWeight = partyWeightTotal;
      reached = fullTokens;
    }
    const k = reached + assumedTokens;
    const listedShare =
      k <= shareStride
        ? shares[nameId * shareStride + k - 1]!
        : index.names[nameId]!.topShare[Math.min(k, index.names[nameId]!.topShare.length) - 1]!;
    return scoreBound(reachedWeight / partyWeightTotal, listedShare, reached) >= floorScore;
  });
}

function birthDateAdjustment(entry: ListEntry, party: BirthDate | undefined, adjustments: ScreeningAdjustments, reasons: string[]): number {
  if (party === undefined || entry.kind !== 'individual' || entry.birthDates.length === 0) return 0;
  const exact = entry.birthDates.some(
    (listed) =>
      listed.month !== undefined &&
      party.month !== undefined &&
      listed.fromYear === party.fromYear &&
      listed.month === party.month &&
      listed.day === party.day,
  );
  if (exact) {
    reasons.push(`date of birth matches (+${adjustments.birthDateExact})`);
    return adjustments.birthDateExact;
  }
  const near = entry.birthDates.some((listed) => {
    const slack = listed.approximate ? 1 : 0;
    return party.fromYear >= listed.fromYear - slack && party.fromYear <= listed.toYear + slack;
  });
  if (near) {
    reasons.push(`year of birth matches (+${adjustments.birthYear})`);
    return adjustments.birthYear;
  }
  reasons.push(
    `date of birth differs from the listed ${entry.birthDates.map(formatBirthDate).join(', ')} (−${adjustments.birthDateMismatch})`,
  );
  return -adjustments.birthDateMismatch;
}

function countryAdjustment(entry: ListEntry, party: string | undefined, adjustments: ScreeningAdjustments, reasons: string[]): number {
  if (party === undefined || entry.countries.length === 0) return 0;
  if (entry.countries.includes(party)) {
    reasons.push(`country ${party} is listed for the entry (+${adjustments.countryMatch})`);
    return adjustments.countryMatch;
  }
  reasons.push(`country ${party} is not among the entry's ${entry.countries.join(', ')} (−${adjustments.countryMismatch})`);
  return -adjustments.countryMismatch;
}

/** `YYYY-MM-DD` or `YYYY`; anything else is ignored (a screen must not fail on a bad date). */
export function parseBirthDate(raw: string | undefined): BirthDate | undefined {
  const match = raw === undefined ? null : /^(\d{4})(?:-(\d{2})-(\d{2}))?$/.exec(raw.trim());
  if (!match) return undefined;
  const year = Number(match[1]);
  return match[2] === undefined
    ? { fromYear: year, toYear: year, approximate: false }
    : { fromYear: year, toYear: year, month: Number(match[2]), day: Number(match[3]), approximate: false };
}

function formatBirthDate(date: BirthDate): string {
  if (date.month !== undefined) return `${date.fromYear}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
  const years = date.fromYear === date.toYear ? `${date.fromYear}` : `${date.fromYear}–${date.toYear}`;
  return date.approximate ? `circa ${years}` : years;
}

function tokenReason(partyTokens: string[], pairs: TokenPair[], listedToken: (position: number) => string): string {
  const matched = pairs.map(
    (pair) => `${partyTokens[pair.party]}≈${listedToken(pair.listed)} ${pair.similarity.toFixed(2)}${pair.loose ? ' (loose)' : ''}`,
  );
  return `tokens: ${matched.join(', ') || 'none'}`;
}

function dedupe<T extends { text: string }>(tokens: T[]): T[] {
  const seen = new Set<string>();
  return tokens.filter((token) => !seen.has(token.text) && seen.add(token.text));
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function byScore(a: ScreeningMatch, b: ScreeningMatch): number {
  return b.score - a.score || a.list.localeCompare(b.list) || a.entryId.localeCompare(b.entryId);
}
