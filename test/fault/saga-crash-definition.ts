import type { SagaDefinition } from '../../src/backbone/saga/index.ts';

/** The saga of the crash test (test/fault/saga-process.ts): its topics are named after `prefix`. */
export function sagaCrashDefinition(prefix: string): SagaDefinition {
  return {
    type: 'crash',
    steps: [
      { name: 'RESERVE', commandTopic: `${prefix}.stock-commands.v1`, compensation: 'RELEASE' },
      { name: 'CHARGE', commandTopic: `${prefix}.billing-commands.v1`, compensation: 'REFUND' },
      { name: 'SHIP', commandTopic: `${prefix}.shipping-commands.v1` },
    ],
    stepTimeoutMs: 60_000,
    maxAttempts: 3,
    compensation: { maxAttempts: 5, retryDelayMs: 200, timeoutMs: 60_000 },
  };
}
