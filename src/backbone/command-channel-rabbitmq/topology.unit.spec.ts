import { describe, expect, it } from 'vitest';
import { resolveRabbitOptions } from './options.ts';
import { deadLetterQueueOf, queueOf } from './topology.ts';

// PAYSTREAM_NAMESPACE keeps deployments (and test runs) on one broker apart, as it does on Kafka:
// each destination's queue, and so its dead-letter queue and routing keys, carry the prefix.
describe('the queues of a namespace', () => {
  it('are the destinations under `<namespace>.`, or the destinations themselves without one', () => {
    expect(queueOf({ namespace: 'bank-a' }, 'loans.saga-commands.v1')).toBe('bank-a.loans.saga-commands.v1');
    expect(deadLetterQueueOf(queueOf({ namespace: 'bank-a' }, 'loans.saga-commands.v1'))).toBe('bank-a.loans.saga-commands.v1.dlq');
    expect(queueOf({ namespace: '' }, 'loans.saga-commands.v1')).toBe('loans.saga-commands.v1');
    expect(queueOf({}, 'loans.saga-commands.v1')).toBe('loans.saga-commands.v1');
  });

  it('defaults to none and refuses a namespace a queue name cannot carry', () => {
    expect(resolveRabbitOptions({ url: 'amqp://127.0.0.1' }).namespace).toBe('');
    expect(resolveRabbitOptions({ url: 'amqp://127.0.0.1', namespace: 'e2e-1a2b' }).namespace).toBe('e2e-1a2b');
    expect(() => resolveRabbitOptions({ url: 'amqp://127.0.0.1', namespace: 'bank a/prod' })).toThrow(/namespace may hold letters/);
  });
});
