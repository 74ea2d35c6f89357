import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

// The dependency direction of docs/ARCHITECTURE.md, as the lint step enforces it: these cases
// lint a line of source as if it stood in the given file.
describe('lint keeps the dependency direction', () => {
  const eslint = new ESLint();

  async function violations(filePath: string, source: string): Promise<string[]> {
    const [result] = await eslint.lintText(source, { filePath });
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  }

  it.each([
    [
      'a service importing an adapter',
      'src/services/ledger/index.ts',
      "import { KafkaEventBus } from '../../backbone/messaging-kafka/index.ts';",
    ],
    [
      'a backbone port importing an adapter',
      'src/backbone/consumer/x.ts',
      "import { PostgresLogBus } from '../messaging-postgres/postgres-log-bus.ts';",
    ],
    [
      'an adapter importing another adapter',
      'src/backbone/messaging-kafka/x.ts',
      "import { PgliteDatabase } from '../storage-pglite/pglite-database.ts';",
    ],
    [
      'an example importing a backbone file behind its index',
      'examples/order-totals/x.ts',
      "import { BatchProcessor } from '../../src/backbone/consumer/batch-processor.ts';",
    ],
    [
      'an example importing a backbone file at its root',
      'examples/order-totals/x.ts',
      "import { permanentError } from '../../src/backbone/errors.ts';",
    ],
    [
      'an example importing the payment platform',
      'examples/order-totals/x.ts',
      "import { paymentTopics } from '../../src/contracts/index.ts';",
    ],
    [
      'the order flow importing a backbone file behind its index',
      'src/apps/orders/payment/x.ts',
      "import { BatchProcessor } from '../../../backbone/consumer/batch-processor.ts';",
    ],
    [
      'the order flow importing a payment service',
      'src/apps/orders/payment/x.ts',
      "import { createLedgerService } from '../../../services/ledger/index.ts';",
    ],
    ['the order flow importing the composition root', 'src/apps/orders/x.ts', "import { startPlatform } from '../../runtime/platform.ts';"],
    [
      'the order flow importing an adapter',
      'src/apps/orders/x.ts',
      "import { KafkaEventBus } from '../../backbone/messaging-kafka/index.ts';",
    ],
  ])('refuses %s', async (_case, filePath, source) => {
    expect(await violations(filePath, `${source}\nexport {};\n`)).toHaveLength(1);
  });

  it.each([
    [
      'the composition root importing adapters',
      'src/runtime/x.ts',
      "import { KafkaEventBus } from '../backbone/messaging-kafka/index.ts';",
    ],
    [
      'a service importing a port',
      'src/services/ledger/index.ts',
      "import type { EventBus } from '../../backbone/messaging/event-bus.ts';",
    ],
    ['an adapter importing a port', 'src/backbone/messaging-kafka/x.ts', "import type { EventBus } from '../messaging/event-bus.ts';"],
    [
      'an example importing public entry points, adapters included',
      'examples/order-totals/x.ts',
      "import { ConsumerRunner } from '../../src/backbone/consumer/index.ts';\nimport { KafkaEventBus } from '../../src/backbone/messaging-kafka/index.ts';",
    ],
    [
      'the order flow importing public entry points, the contracts and the API conventions',
      'src/apps/orders/payment/x.ts',
      "import { ConsumerRunner } from '../../../backbone/consumer/index.ts';\nimport { PaymentTopics } from '../../../contracts/index.ts';\nimport { Scopes } from '../../../services/http/index.ts';",
    ],
  ])('allows %s', async (_case, filePath, source) => {
    expect(await violations(filePath, `${source}\nexport {};\n`)).toEqual([]);
  });
});
