/**
 * The screening vocabulary. A *list* is one published source (OFAC SDN, the UN Security Council
 * Consolidated List, a PEP file); an *entry* is one listed person, organisation, vessel or aircraft
 * with all its names; a *party* is the debtor or creditor of a payment that we screen.
 */

/** What a list is for: a sanctions hit blocks, a PEP hit asks for enhanced due diligence. */
export type ListCategory = 'sanctions' | 'pep';

export type EntryKind = 'individual' | 'entity' | 'vessel' | 'aircraft' | 'unknown';

/**
 * Which name of an entry matched. `weak` names (UN aliases of QUALITY "Low", names transliterated
 * from the original script) score a little lower, as the lists themselves ask.
 */
export interface EntryName {
  name: string;
  type: 'primary' | 'aka' | 'fka' | 'nka' | 'original-script';
  weak: boolean;
}

/** A date of birth as the lists give it: exact, a year, "circa" or a range of years. */
export interface BirthDate {
  fromYear: number;
  toYear: number;
  /** 1–12, present only when the list gives an exact date. */
  month?: number;
  day?: number;
  approximate: boolean;
}

export interface ListEntry {
  /** The list's own id: OFAC ent_num, UN REFERENCE_NUMBER, PEP row number. */
  entryId: string;
  kind: EntryKind;
  names: EntryName[];
  /** OFAC Program, UN UN_LIST_TYPE; for PEPs the position held. */
  programs: string[];
  /** ISO 3166-1 alpha-2 codes of nationality, citizenship and addresses, where resolvable. */
  countries: string[];
  birthDates: BirthDate[];
  listedOn?: string;
}

/**
 * Identifies exactly which content of a list a decision was taken against: the SHA-256 over the
 * list's files (in a fixed order) and, where the list carries one, its publish date.
 */
export interface ListVersion {
  listId: string;
  category: ListCategory;
  sha256: string;
  publishedAt?: string;
  entryCount: number;
  nameCount: number;
  /** The files it was read from, for operators. */
  files: string[];
}

export interface LoadedList {
  version: ListVersion;
  entries: ListEntry[];
}

export interface Party {
  name: string;
  /** ISO 3166-1 alpha-2 (preferred) or an English country name. */
  country?: string;
  /** `YYYY-MM-DD` or `YYYY`. */
  dateOfBirth?: string;
  /** The party's account (IBAN or internal id): keys the allow list. */
  account?: string;
}

export type RiskBand = 'HIGH' | 'MEDIUM' | 'LOW';

/** One listed entry that resembles the party, with the evidence for the score. */
export interface ScreeningMatch {
  list: string;
  category: ListCategory;
  listVersion: string;
  entryId: string;
  entryKind: EntryKind;
  /** The entry's first (primary) name, for a reviewer. */
  primaryName: string;
  /** The entry's name that scored best, as the list spells it. */
  matchedName: string;
  matchedNameType: EntryName['type'];
  program: string;
  /** Name similarity before country and date-of-birth adjustments, 0–1. */
  nameScore: number;
  /** Final score, 0–1, after adjustments. */
  score: number;
  band: RiskBand;
  /** Why: token pairs, adjustments, weak alias. */
  reasons: string[];
}

export interface ScreeningResult {
  band: RiskBand;
  /** The highest sanctions match score (0 when nothing resembles the party). */
  score: number;
  /** True when a PEP entry matched at MEDIUM or above and so raised the band. */
  pep: boolean;
  /** Sanctions and PEP matches at or above the report threshold, best first. */
  matches: ScreeningMatch[];
  /** Matches the allow list set aside as confirmed false positives; kept as evidence. */
  suppressed: ScreeningMatch[];
  /** Every list version the decision was taken against (also those that did not match). */
  listVersions: ListVersion[];
}
