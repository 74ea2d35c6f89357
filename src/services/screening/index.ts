/**
 * Sanctions and PEP screening: list loaders (OFAC SDN CSV, UN Consolidated XML, PEP CSV), the
 * matching engine (`buildScreeningIndex`, `screenParty`), the list store that swaps versions
 * atomically, and the watcher that reloads changed files. docs/screening.md explains the matching,
 * the thresholds and the evidence. The payment flow's screening stage (consumer, decisions table,
 * Travel Rule, corridor) is in `stage/`.
 */
export type {
  BirthDate,
  EntryKind,
  EntryName,
  ListCategory,
  ListEntry,
  ListVersion,
  LoadedList,
  Party,
  RiskBand,
  ScreeningMatch,
  ScreeningResult,
} from './model.ts';
export { ScreeningError, ScreeningErrorCodes, type ScreeningErrorCode } from './errors.ts';
export { loadListSource, listIdOf, sourceFiles, standardSources, isUrl, type ListSource, type ReadFile } from './lists/source.ts';
export { parseOfacSdn, type OfacSdnFiles } from './lists/ofac-sdn.ts';
export { parseUnConsolidated } from './lists/un-consolidated.ts';
export { parsePepCsv, pepCsvHeader } from './lists/pep-csv.ts';
export { buildScreeningIndex, type ScreeningIndex, type ScreeningIndexOptions } from './engine/screening-index.ts';
export { screenParty, bandOf } from './engine/screen.ts';
export {
  screeningOptions,
  defaultScreeningOptions,
  defaultThresholds,
  defaultAdjustments,
  type ScreeningOptions,
  type ScreeningOptionsInput,
  type ScreeningThresholds,
  type ScreeningAdjustments,
} from './engine/options.ts';
export { createAllowList, emptyAllowList, type AllowList, type AllowListEntry } from './engine/allow-list.ts';
export { foldName, tokenizeName, nameKey } from './engine/normalize.ts';
export { countryCode } from './engine/countries.ts';
export { SanctionsListStore, type ListStatus, type ReloadOutcome, type SanctionsListStoreOptions } from './store/list-store.ts';
export { ListWatcher, type ListWatcherOptions, type StatFile } from './store/list-watcher.ts';
