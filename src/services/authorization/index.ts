/**
 * The authorization service (issue 20), first step: its pure rules and its stream processor, and
 * the deterministic replay. Its consumers, tables and routes come later (docs/authorization.md).
 */
export { authorizationOptions, defaultAuthorizationOptions, type AuthorizationOptions } from './options.ts';
export { authorizationProcessor, emptyAccount, type AccountRecord, type AuthorizationStores } from './domain/authorization-processor.ts';
export { replayScenario, parseScenario, decisionLine, ScenarioLineError, type ReplayResult } from './domain/replay.ts';
export type * from './domain/types.ts';
