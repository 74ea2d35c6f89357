import { busCommandChannelFixture } from '../../../test/support/command-channel-fixtures.ts';
import { describeWithKafka, describeWithPostgres } from '../../../test/support/engines.ts';
import { kafkaFixture } from '../../../test/support/kafka-backbone-fixture.ts';
import { commandChannelContract } from './command-channel.contract.ts';

describeWithPostgres('command channel on PostgreSQL', () =>
  describeWithKafka('and Kafka', () => commandChannelContract('the event bus on Kafka', () => busCommandChannelFixture(kafkaFixture))),
);
