/**
 * How much one listed name resembles the party's name, 0–1, from token similarities.
 *
 * Tokens are paired one-to-one, best pairs first (greedy over the similarity matrix), so token
 * order does not matter and one party token cannot match two listed tokens. Each side's
 * *coverage* is the weighted share of its tokens that found a partner, times the similarity:
 *
 *   partyCoverage = Σ w(p)·sim(p) / Σ w(p),   listedCoverage = Σ w(n)·sim(n) / Σ w(n)
 *
 * (a listed token written twice, "ALVAREZ ALVAREZ, Wenceslao", is one n in the listed coverage).
 *
 * When two or more full tokens matched, the name is a hit whichever side has extra tokens (a
 * dropped middle name, a party that gives all four of a person's names), so the better coverage
 * leads: score = 0.75·max + 0.25·min. When at most one full token matched, only the party's
 * coverage may lead: "John Smith" against a listed "SMITH" is one surname in common, not a hit.
 *
 * Three or more full tokens in common at 0.9 or better is at least `manyTokensScore` (MEDIUM
 * with the default thresholds) whatever else the names hold: "Rodriguez Lopez-Kalledzhas, Luis
 * Alberto" is "RODRIGUEZ LOPEZ-CALLEJAS, Luis Alberto" to any reader, although one token is far off.
 *
 * A *loose* pair (similarity.ts: alike, but more edits apart than a typo or a transliteration
 * makes, or the two genders of a surname) counts only in context: when at least
 * `looseContextMatches` full tokens are closely matched besides it, or one is matched exactly and
 * is rare on the lists (the index decides; IDF in effect) and the loose pair is at most
 * `rareContextEdits` edits apart. "RUIZ PGEZ, Leonardo" is "RUIZ PEREZ, Leonardo" and "DOSEN
 * Damrm" is "DOSEN, Damir", with two typos; "Jing Zhang" is not "ZHANG, Jian", "Sergei Ivanova"
 * is not "IVANOV, Sergei". Close pairs are paired first, so a loose pair never takes a token
 * from a close one.
 *
 * A *partial* name — the party leaves out full tokens of the listed name — counts only the tokens
 * it gives exactly (as written or spelling-folded). A dropped middle name and a misspelt token are
 * each common in a genuine hit and each is tolerated alone; together they describe someone else
 * more often than the listed person: "Robert Vargas" is not "VARGAS GUTIERREZ, Roberto", "Anna
 * Jones" is not "JONES, Sally Anne", while "VARGAS Roberto" is still that entry.
 */
export interface TokenPair {
  party: number;
  listed: number;
  similarity: number;
  /** Counted only in context (see above). */
  loose: boolean;
}

export interface NameScore {
  score: number;
  pairs: TokenPair[];
}

export const leadingCoverageWeight = 0.75;
export const strongTokenSimilarity = 0.9;
export const manyTokensScore = 0.9;
export const looseContextMatches = 2;
export const rareContextEdits = 2;

/**
 * `similarity(party, listed, looseEdits)` is > 0 for a close pair, < 0 (negated) for a loose one,
 * 0 for none, as `foldedTokenSimilarity` returns it. It is asked first with `looseEdits` 0, when it
 * may answer 0 for anything but a close pair (the index knows those without comparing); then, only
 * where the context lets a loose pair count, for the tokens still unpaired, with the most edits a
 * loose pair may have (`Infinity`: any).
 */
export function scoreName(
  partyWeights: ArrayLike<number>,
  listedWeights: ArrayLike<number>,
  similarity: (party: number, listed: number, looseEdits: number) => number,
  /** The listed name's tokens (any ids): a token written twice ("AUNG, Aung") is given when once is. */
  listedTokens?: ArrayLike<number>,
  /** Whether a listed token is rare on the lists (see `rareContextEdits`). */
  rareListed?: (listed: number) => boolean,
): NameScore {
  const usedParty = new Uint8Array(partyWeights.length);
  const usedListed = new Uint8Array(listedWeights.length);
  let pairs: TokenPair[] = [];
  let closeFullTokens = 0;
  let rareExact = false;
  const pairGreedily = (looseEdits: number): void => {
    const candidates: TokenPair[] = [];
    for (let party = 0; party < partyWeights.length; party += 1) {
      if (usedParty[party]) continue;
      for (let listed = 0; listed < listedWeights.length; listed += 1) {
        if (usedListed[listed]) continue;
        const value = similarity(party, listed, looseEdits);
        if (value > 0 || (looseEdits > 0 && value < 0)) candidates.push({ party, listed, similarity: Math.abs(value), loose: value < 0 });
      }
    }
    candidates.sort((a, b) => b.similarity - a.similarity || b.party - a.party);
    for (const pair of candidates) {
      if (usedParty[pair.party] || usedListed[pair.listed]) continue;
      usedParty[pair.party] = 1;
      usedListed[pair.listed] = 1;
      pairs.push(pair);
      if (!pair.loose && partyWeights[pair.party] === 1 && listedWeights[pair.listed] === 1) {
        closeFullTokens += 1;
        if (pair.similarity === 1 && rareListed?.(pair.listed)) rareExact = true;
      }
    }
  };
  // Close pairs first, so a loose pair never takes a token from a close one; then the loose ones,
  // if the close ones make the context.
  pairGreedily(0);
  if (pairs.length < Math.min(partyWeights.length, listedWeights.length)) {
    if (closeFullTokens >= looseContextMatches) pairGreedily(Infinity);
    else if (closeFullTokens === 1 && rareExact) pairGreedily(rareContextEdits);
  }

  let partial = false;
  for (let listed = 0; listed < listedWeights.length; listed += 1) {
    if (usedListed[listed] || listedWeights[listed] !== 1) continue;
    let repeated = false;
    if (listedTokens)
      for (let other = 0; other < listedWeights.length; other += 1)
        if (usedListed[other] && listedTokens[other] === listedTokens[listed]) repeated = true;
    if (!repeated) partial = true;
  }
  if (partial) pairs = pairs.filter((pair) => pair.similarity === 1);

  let partyMatched = 0;
  let fullTokenMatches = 0;
  let strongMatches = 0;
  // A listed token written twice counts once in the listed coverage, at its better pairing.
  const listedBest = new Float64Array(listedWeights.length);
  for (const pair of pairs) {
    const partyWeight = partyWeights[pair.party] as number;
    const listedWeight = listedWeights[pair.listed] as number;
    partyMatched += partyWeight * pair.similarity;
    const first = firstOccurrence(listedTokens, pair.listed);
    listedBest[first] = Math.max(listedBest[first]!, listedWeight * pair.similarity);
    if (partyWeight === 1 && listedWeight === 1) {
      fullTokenMatches += 1;
      if (!pair.loose && pair.similarity >= strongTokenSimilarity) strongMatches += 1;
    }
  }
  let listedMatched = 0;
  let listedTotal = 0;
  for (let listed = 0; listed < listedWeights.length; listed += 1) {
    if (firstOccurrence(listedTokens, listed) !== listed) continue;
    listedMatched += listedBest[listed]!;
    listedTotal += listedWeights[listed] as number;
  }
  return { score: combine(partyMatched / sum(partyWeights), listedMatched / listedTotal, fullTokenMatches, strongMatches), pairs };
}

function firstOccurrence(tokens: ArrayLike<number> | undefined, position: number): number {
  if (!tokens) return position;
  for (let other = 0; other < position; other += 1) if (tokens[other] === tokens[position]) return other;
  return position;
}

/**
 * The highest score a name could reach given the best coverages it could have and how many full
 * tokens could match: used to skip names before scoring them.
 */
export function scoreBound(maxPartyCoverage: number, maxListedCoverage: number, maxFullTokenMatches: number): number {
  return combine(maxPartyCoverage, maxListedCoverage, maxFullTokenMatches, maxFullTokenMatches);
}

function combine(partyCoverage: number, listedCoverage: number, fullTokenMatches: number, strongMatches: number): number {
  if (fullTokenMatches === 0) return 0;
  if (fullTokenMatches === 1) return leadingCoverageWeight * partyCoverage + (1 - leadingCoverageWeight) * listedCoverage;
  const score =
    leadingCoverageWeight * Math.max(partyCoverage, listedCoverage) + (1 - leadingCoverageWeight) * Math.min(partyCoverage, listedCoverage);
  return strongMatches >= 3 ? Math.max(score, manyTokensScore) : score;
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i += 1) total += values[i] as number;
  return total;
}
