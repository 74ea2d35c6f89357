export { WakeSignal } from './wake-signal.ts';
