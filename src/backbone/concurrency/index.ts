export { WakeSignal } from './wake-signal.ts';
export { GroupCommit } from './group-commit.ts';
