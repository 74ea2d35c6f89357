import { describe, expect, it } from 'vitest';
import { withLogContext } from './log-context.ts';
import { createLogger, defaultRedactPaths, type LoggerOptions } from './logger.ts';

/** A pino destination that keeps the parsed lines. */
function capture(options: LoggerOptions = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ ...options, destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes JSON with an ISO time, the level as a word and the service', () => {
    const { logger, lines } = capture({ service: 'ledger' });
    logger.info('started');
    expect(lines[0]).toMatchObject({ level: 'info', service: 'ledger', msg: 'started' });
    expect(lines[0]?.time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('puts the correlationId of the current context on every line, across awaits and child loggers', async () => {
    const { logger, lines } = capture();
    await withLogContext({ correlationId: 'c-1', eventId: 'e-1' }, async () => {
      logger.info('first');
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.child({ component: 'consumer' }).warn('second');
      withLogContext({ eventId: 'e-2' }, () => logger.info('nested'));
    });
    logger.info('outside');
    expect(lines.map((line) => [line.msg, line.correlationId, line.eventId])).toEqual([
      ['first', 'c-1', 'e-1'],
      ['second', 'c-1', 'e-1'],
      ['nested', 'c-1', 'e-2'],
      ['outside', undefined, undefined],
    ]);
  });

  it('keeps concurrent contexts apart', async () => {
    const { logger, lines } = capture();
    await Promise.all(
      ['a', 'b'].map((correlationId) =>
        withLogContext({ correlationId }, async () => {
          await new Promise((resolve) => setTimeout(resolve, correlationId === 'a' ? 5 : 1));
          logger.info(correlationId);
        }),
      ),
    );
    expect(lines.map((line) => [line.msg, line.correlationId])).toEqual([
      ['b', 'b'],
      ['a', 'a'],
    ]);
  });

  it('lets a field given at the call site win over the context', () => {
    const { logger, lines } = capture();
    withLogContext({ correlationId: 'from-context' }, () => logger.info({ correlationId: 'explicit' }, 'm'));
    expect(lines[0]?.correlationId).toBe('explicit');
  });

  it('redacts secrets and party names at the top and nested levels, but not other names', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        req: { headers: { authorization: 'Bearer abc', 'x-api-key': 'k', accept: 'json' } },
        password: 'p',
        credentials: { apiKey: 'k2' },
        payment: { debtor: { name: 'Ada Lovelace', iban: 'GB33BUKB20201555555555' }, creditor: { name: 'Alan Turing' } },
        event: { payload: { beneficiary: { name: 'Grace Hopper' } } },
        err: { name: 'TypeError' },
        topic: { name: 'payments.submitted.v1' },
      },
      'payment received',
    );
    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: '[REDACTED]', 'x-api-key': '[REDACTED]', accept: 'json' } },
      password: '[REDACTED]',
      credentials: { apiKey: '[REDACTED]' },
      payment: { debtor: { name: '[REDACTED]', iban: '[REDACTED]' }, creditor: { name: '[REDACTED]' } },
      event: { payload: { beneficiary: { name: '[REDACTED]' } } },
      err: { name: 'TypeError' },
      topic: { name: 'payments.submitted.v1' },
    });
    expect(JSON.stringify(lines)).not.toMatch(/Ada|Turing|Hopper|GB33|Bearer/);
  });

  it('takes a custom redact list and censor', () => {
    const { logger, lines } = capture({ redactPaths: [...defaultRedactPaths, 'taxId'], redactCensor: '***' });
    logger.info({ customer: { taxId: '123', name: 'n' } }, 'm');
    expect(lines[0]).toMatchObject({ customer: { taxId: '***', name: '***' } });
  });
});
