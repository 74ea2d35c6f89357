import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

// Services receive events typed by topic (src/contracts/topic-payloads.ts): the lint step refuses a
// cast of an event's payload, or of an event, in src/services, since a cast compiles whatever the
// contract says and fails at run time. These cases lint a line as if it stood in the given file.
describe('lint refuses payload casts in services', () => {
  const eslint = new ESLint();

  async function violations(filePath: string, source: string): Promise<string[]> {
    const [result] = await eslint.lintText(source, { filePath });
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
  }

  const preamble =
    "import type { ConsumedEvent } from '../../backbone/consumer/handler.ts';\nimport type { PaymentOrder } from '../../contracts/payment.ts';\ndeclare const event: ConsumedEvent;\ndeclare const events: readonly ConsumedEvent[];\n";

  it.each([
    ['an `as` cast of event.payload', 'export const payment = (event.payload as { payment: PaymentOrder }).payment;'],
    ['an angle-bracket cast of event.payload', 'export const payment = (<{ payment: PaymentOrder }>event.payload).payment;'],
    ['a cast of a batch of events', 'export const typed = events as readonly ConsumedEvent<{ payment: PaymentOrder }>[];'],
    ['a cast of one event', 'export const typed = event as ConsumedEvent<{ payment: PaymentOrder }>;'],
  ])('refuses %s in a service', async (_case, line) => {
    expect(await violations('src/services/ledger/handlers.ts', `${preamble}${line}\n`)).toHaveLength(1);
  });

  it.each([
    [
      'a payload narrowed by its topic',
      'src/services/ledger/handlers.ts',
      "import { isEventOf } from '../../contracts/topic-payloads.ts';\nexport const payment = isEventOf(event, 'payments.validated.v1') ? event.payload.payment : undefined;",
    ],
    ['a cast of something else in a service', 'src/services/ledger/handlers.ts', 'export const text = JSON.parse("1") as number;'],
    [
      'a payload cast outside the services (a test, the backbone)',
      'src/backbone/consumer/x.ts',
      'export const payment = (event.payload as { payment: PaymentOrder }).payment;',
    ],
  ])('allows %s', async (_case, filePath, line) => {
    expect(await violations(filePath, `${preamble}${line}\n`)).toEqual([]);
  });
});
