import { describe, expect, it } from 'vitest';
import type { SagaDefinition } from './definition.ts';
import { sagaTopics } from './saga-topics.ts';

describe('sagaTopics', () => {
  it('declares the reply topic and each command topic once, each with its dead-letter topic', () => {
    const definition: SagaDefinition = {
      type: 'example',
      steps: [
        { name: 'RESERVE', commandTopic: 'stock.commands.v1', compensation: 'RELEASE' },
        { name: 'CHARGE', commandTopic: 'billing.commands.v1', compensation: 'REFUND' },
        { name: 'RESERVE_MORE', commandTopic: 'stock.commands.v1' },
      ],
      stepTimeoutMs: 1_000,
      maxAttempts: 1,
      compensation: { maxAttempts: 1, retryDelayMs: 1_000, timeoutMs: 1_000 },
    };
    const topics = sagaTopics(definition, 'example.saga-replies.v1', { partitions: 6 });
    expect(topics.map((topic) => topic.name)).toEqual([
      'example.saga-replies.v1',
      'example.saga-replies.v1.dlq',
      'stock.commands.v1',
      'stock.commands.v1.dlq',
      'billing.commands.v1',
      'billing.commands.v1.dlq',
    ]);
    expect(topics[0]!.partitions).toBe(6);
  });
});
