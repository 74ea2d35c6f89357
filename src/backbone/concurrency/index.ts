export { WakeSignal } from './wake-signal.ts';
export { GroupCommit } from './group-commit.ts';
export { NotifiedLoop, type NotifiedLoopOptions } from './notified-loop.ts';
