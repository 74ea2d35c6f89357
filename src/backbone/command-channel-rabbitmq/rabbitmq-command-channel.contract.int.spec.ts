import {
  rabbitChannelDeletingItsQueues,
  rabbitCommandChannelFixture,
  uniquelyNamed,
} from '../../../test/support/command-channel-fixtures.ts';
import { describeWithKafka, describeWithPostgres, describeWithRabbitMQ, rabbitmqUrl } from '../../../test/support/engines.ts';
import { kafkaFixture } from '../../../test/support/kafka-backbone-fixture.ts';
import { migrate } from '../storage/migrate.ts';
import { commandChannelContract } from '../saga/command-channel.contract.ts';
import { sagaOrchestratorSuite } from '../saga/saga-orchestrator.suite.ts';
import { embeddedFixture } from '../testing/embedded-fixture.ts';
import { RabbitCommandChannel } from './rabbitmq-command-channel.ts';
import { rabbitCommandChannelMigrations } from './migrations.ts';

// As a bank runs it: commands on RabbitMQ, the database on PostgreSQL, replies as events on Kafka.
describeWithRabbitMQ('RabbitMQ commands', () =>
  describeWithPostgres('with PostgreSQL', () =>
    describeWithKafka('and Kafka', () =>
      commandChannelContract('RabbitMQ (quorum queues), replies on Kafka', () => rabbitCommandChannelFixture(kafkaFixture, rabbitmqUrl())),
    ),
  ),
);

// The whole orchestrator suite with its commands on RabbitMQ (the database and replies embedded, to keep it short).
describeWithRabbitMQ('RabbitMQ commands for the orchestrator', () =>
  sagaOrchestratorSuite(
    'RabbitMQ commands and the embedded engine',
    async () => uniquelyNamed(await embeddedFixture()),
    async (fixture) => {
      await migrate(fixture.db, 'saga-rabbitmq', rabbitCommandChannelMigrations);
      const channel = new RabbitCommandChannel(fixture.deps, { url: rabbitmqUrl(), transientRetryDelayMs: 10, reconnectDelayMs: 100 });
      return rabbitChannelDeletingItsQueues(channel, rabbitmqUrl());
    },
  ),
);
