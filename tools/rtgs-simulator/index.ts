export { startRtgsSimulator, type RtgsSimulator } from './simulator.ts';
export type { RtgsSimulatorOptions, CallbackRetryOptions } from './options.ts';
export { planAnswer, type AnswerPlan } from './answer-plan.ts';
