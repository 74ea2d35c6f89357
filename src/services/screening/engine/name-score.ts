/**
 * How much one listed name resembles the party's name, 0–1, from token similarities.
 *
 * Tokens are paired one-to-one, best pairs first (greedy over the similarity matrix), so token
 * order does not matter and one party token cannot match two listed tokens. Each side's
 * *coverage* is the weighted share of its tokens that found a partner, times the similarity:
 *
 *   partyCoverage = Σ w(p)·sim(p) / Σ w(p),   listedCoverage = Σ w(n)·sim(n) / Σ w(n)
 *
 * When two or more full tokens matched, the name is a hit whichever side has extra tokens (a
 * dropped middle name, a party that gives all four of a person's names), so the better coverage
 * leads: score = 0.75·max + 0.25·min. When at most one full token matched, only the party's
 * coverage may lead: "John Smith" against a listed "SMITH" is one surname in common, not a hit.
 *
 * Three or more full tokens in common at 0.9 or better is at least `manyTokensScore` (MEDIUM
 * with the default thresholds) whatever else the names hold: "Rodriguez Lopez-Kalledzhas, Luis
 * Alberto" is "RODRIGUEZ LOPEZ-CALLEJAS, Luis Alberto" to any reader, although one token is far off.
 */
export interface TokenPair {
  party: number;
  listed: number;
  similarity: number;
}

export interface NameScore {
  score: number;
  pairs: TokenPair[];
}

export const leadingCoverageWeight = 0.75;
export const strongTokenSimilarity = 0.9;
export const manyTokensScore = 0.9;

export function scoreName(
  partyWeights: ArrayLike<number>,
  listedWeights: ArrayLike<number>,
  similarity: (party: number, listed: number) => number,
): NameScore {
  const candidates: TokenPair[] = [];
  for (let party = 0; party < partyWeights.length; party += 1) {
    for (let listed = 0; listed < listedWeights.length; listed += 1) {
      const value = similarity(party, listed);
      if (value > 0) candidates.push({ party, listed, similarity: value });
    }
  }
  candidates.sort((a, b) => b.similarity - a.similarity || b.party - a.party);
  const usedParty = new Uint8Array(partyWeights.length);
  const usedListed = new Uint8Array(listedWeights.length);
  const pairs: TokenPair[] = [];
  let partyMatched = 0;
  let listedMatched = 0;
  let fullTokenMatches = 0;
  let strongMatches = 0;
  for (const pair of candidates) {
    if (usedParty[pair.party] || usedListed[pair.listed]) continue;
    usedParty[pair.party] = 1;
    usedListed[pair.listed] = 1;
    pairs.push(pair);
    const partyWeight = partyWeights[pair.party] as number;
    const listedWeight = listedWeights[pair.listed] as number;
    partyMatched += partyWeight * pair.similarity;
    listedMatched += listedWeight * pair.similarity;
    if (partyWeight === 1 && listedWeight === 1) {
      fullTokenMatches += 1;
      if (pair.similarity >= strongTokenSimilarity) strongMatches += 1;
    }
  }
  return { score: combine(partyMatched / sum(partyWeights), listedMatched / sum(listedWeights), fullTokenMatches, strongMatches), pairs };
}

/**
 * The highest score a name could reach given the best coverages it could have and how many full
 * tokens could match: used to skip names before scoring them.
 */
export function scoreBound(partyCoverageMax: number, listedCoverageMax: number, fullTokenMatchesMax: number): number {
  return combine(partyCoverageMax, listedCoverageMax, fullTokenMatchesMax, fullTokenMatchesMax);
}

function combine(partyCoverage: number, listedCoverage: number, fullTokenMatches: number, strongMatches: number): number {
  if (fullTokenMatches === 0) return 0;
  if (fullTokenMatches === 1) return leadingCoverageWeight * partyCoverage + (1 - leadingCoverageWeight) * listedCoverage;
  const score = leadingCoverageWeight * Math.max(partyCoverage, listedCoverage) + (1 - leadingCoverageWeight) * Math.min(partyCoverage, listedCoverage);
  return strongMatches >= 3 ? Math.max(score, manyTokensScore) : score;
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i += 1) total += values[i] as number;
  return total;
}
