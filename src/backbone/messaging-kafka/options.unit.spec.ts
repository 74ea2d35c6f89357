import { describe, expect, it } from 'vitest';
import { BackboneError } from '../errors.ts';
import { kafkaDefaults, resolveKafkaOptions } from './options.ts';

describe('resolveKafkaOptions', () => {
  it('fills in the defaults', () => {
    expect(resolveKafkaOptions({ bootstrapBrokers: ['localhost:9092'] })).toEqual({
      ...kafkaDefaults,
      bootstrapBrokers: ['localhost:9092'],
    });
  });

  it('keeps what is given and ignores undefined', () => {
    const resolved = resolveKafkaOptions({
      bootstrapBrokers: ['a:1', 'b:2'],
      clientId: 'ledger',
      fetchMaxWaitMs: undefined,
      sessionTimeoutMs: 10_000,
    });
    expect(resolved).toMatchObject({ clientId: 'ledger', fetchMaxWaitMs: kafkaDefaults.fetchMaxWaitMs, sessionTimeoutMs: 10_000 });
  });

  it.each([
    [{ bootstrapBrokers: [] }, /at least one broker/],
    [{ bootstrapBrokers: ['localhost'] }, /not host:port/],
    [{ bootstrapBrokers: ['a:1'], clientId: ' ' }, /clientId/],
    [{ bootstrapBrokers: ['a:1'], fetchMaxWaitMs: 0 }, /fetchMaxWaitMs must be a positive integer/],
    [{ bootstrapBrokers: ['a:1'], retries: -1 }, /retries/],
    [{ bootstrapBrokers: ['a:1'], heartbeatIntervalMs: 30_000 }, /heartbeatIntervalMs must be below sessionTimeoutMs/],
    [{ bootstrapBrokers: ['a:1'], sessionTimeoutMs: 90_000 }, /rebalanceTimeoutMs must be at least sessionTimeoutMs/],
    [{ bootstrapBrokers: ['a:1'], compression: 'brotli' as 'gzip' }, /compression/],
  ])('rejects %j', (options, message) => {
    expect(() => resolveKafkaOptions(options)).toThrow(message);
    try {
      resolveKafkaOptions(options);
    } catch (error) {
      expect(error).toBeInstanceOf(BackboneError);
      expect((error as BackboneError).code).toBe('INVALID_OPTIONS');
    }
  });
});
