/**
 * `screenParty`: the screening verdict for one party against an index, a pure function of
 * (index, party, options). It does no I/O and reads no clock, so the same inputs give the same
 * result, and the result names every list version it was taken against.
 *
 * 1. Tokenise the party's name (normalize.ts).
 * 2. Candidates: for each party token, the similar vocabulary tokens (blocking keys + Jaro-Winkler)
 *    and the names they occur in. A name is a candidate when it shares a similar *rare* token with
 *    the party, or similar tokens with two of the party's tokens: a name reached only through one
 *    "muhammad" or "trading" cannot score high enough to matter, and there are thousands of them.
 * 3. Score each candidate name (name-score.ts); an entry scores as its best name.
 * 4. Adjust by date of birth and country where both sides have them; band; allow list; PEP.
 */
import type { BirthDate, ListEntry, Party, RiskBand, ScreeningMatch, ScreeningResult } from '../model.ts';
import { countryCode } from './countries.ts';
import { tokenizeName } from './normalize.ts';
import { scoreBound, scoreName, type TokenPair } from './name-score.ts';
import { defaultScreeningOptions, type ScreeningAdjustments, type ScreeningOptions, type ScreeningThresholds } from './options.ts';
import type { ScreeningIndex } from './screening-index.ts';
import { foldedTokenSimilarity } from './similarity.ts';

/** Party names longer than this many tokens are cut (the mask below has one bit per token). */
const partyTokensMax = 16;

export function screenParty(index: ScreeningIndex, party: Party, options: ScreeningOptions = defaultScreeningOptions): ScreeningResult {
  const tokens = dedupe(tokenizeName(party.name)).slice(0, partyTokensMax);
  const empty: ScreeningResult = { band: 'LOW', score: 0, pep: false, matches: [], suppressed: [], listVersions: [...index.versions] };
  if (tokens.length === 0) return empty;

  const similarByToken = tokens.map((token) => index.similarTokens(token.text, token.folded));
  const bonusMax = options.adjustments.countryMatch + options.adjustments.birthDateExact;
  const candidates = candidateNames(index, tokens.map((token) => token.weight), similarByToken, options.thresholds.report - bonusMax);

  const partyWeights = tokens.map((token) => token.weight);
  // Pairs the blocking keys did not pair (two edits in one token, say) are compared directly, once.
  const direct = new Map<number, number>();
  const best = new Map<number, { score: number; name: number; pairs: TokenPair[] }>();
  for (const nameId of candidates) {
    const name = index.names[nameId]!;
    const similarity = (party: number, listed: number): number => {
      const id = name.tokens[listed]!;
      const known = similarByToken[party]!.get(id);
      if (known !== undefined) return known;
      const key = party * index.vocabulary.length + id;
      let value = direct.get(key);
      if (value === undefined) {
        value = foldedTokenSimilarity(tokens[party]!.text, tokens[party]!.folded, index.vocabulary[id]!, index.foldedVocabulary[id]!, index.floors);
        direct.set(key, value);
      }
      return value;
    };
    const scored = scoreName(partyWeights, name.weights, similarity);
    const entry = index.entries[name.entry]!.entry;
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
    if (found.score < options.thresholds.report - bonusMax) continue;
    const { version, entry } = index.entries[entryPosition]!;
    const name = index.names[found.name]!;
    const reasons = [tokenReason(tokens.map((token) => token.text), found.pairs, (listed) => index.vocabulary[name.tokens[listed]!]!)];
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
  return { band, score: topSanctions, pep, matches: matches.slice(0, options.maxMatches), suppressed: suppressed.slice(0, options.maxMatches), listVersions: [...index.versions] };
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
function candidateNames(index: ScreeningIndex, weights: number[], similarByToken: ReadonlyMap<number, number>[], floorScore: number): number[] {
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
    for (const id of similar.keys()) {
      const posting = index.postings[id]!;
      for (let k = 0; k < posting.length; k += 1) {
        const nameId = posting[k]!;
        if (scratch.stamp[nameId] !== generation) {
          scratch.stamp[nameId] = generation;
          scratch.mask[nameId] = 0;
          touched.push(nameId);
        }
        scratch.mask[nameId]! |= bit;
      }
    }
  });
  return touched.filter((nameId) => {
    const mask = scratch.mask[nameId]!;
    let reachedWeight = assumedWeight;
    let reached = 0;
    for (let party = 0; party < weights.length; party += 1) {
      if (mask & (1 << party)) {
        reachedWeight += weights[party]!;
        reached += 1;
      }
    }
    const { topShare } = index.names[nameId]!;
    const listedShare = topShare[Math.min(reached + assumedTokens, topShare.length) - 1] ?? 0;
    return scoreBound(reachedWeight / partyWeightTotal, listedShare, reached) >= floorScore;
  });
}

function birthDateAdjustment(entry: ListEntry, party: BirthDate | undefined, adjustments: ScreeningAdjustments, reasons: string[]): number {
  if (party === undefined || entry.kind !== 'individual' || entry.birthDates.length === 0) return 0;
  const exact = entry.birthDates.some((listed) => listed.month !== undefined && party.month !== undefined && listed.fromYear === party.fromYear && listed.month === party.month && listed.day === party.day);
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
  reasons.push(`date of birth differs from the listed ${entry.birthDates.map(formatBirthDate).join(', ')} (−${adjustments.birthDateMismatch})`);
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
  return match[2] === undefined ? { fromYear: year, toYear: year, approximate: false } : { fromYear: year, toYear: year, month: Number(match[2]), day: Number(match[3]), approximate: false };
}

function formatBirthDate(date: BirthDate): string {
  if (date.month !== undefined) return `${date.fromYear}-${String(date.month).padStart(2, '0')}-${String(date.day).padStart(2, '0')}`;
  const years = date.fromYear === date.toYear ? `${date.fromYear}` : `${date.fromYear}–${date.toYear}`;
  return date.approximate ? `circa ${years}` : years;
}

function tokenReason(partyTokens: string[], pairs: TokenPair[], listedToken: (position: number) => string): string {
  const matched = pairs.map((pair) => `${partyTokens[pair.party]}≈${listedToken(pair.listed)} ${pair.similarity.toFixed(2)}`);
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
