import { describeWithKafka, describeWithPostgres } from '../../../test/support/engines.ts';
import { kafkaFixture } from '../../../test/support/kafka-backbone-fixture.ts';
import { streamRunnerSuite } from './stream-runner.suite.ts';

describeWithPostgres('stream runner on PostgreSQL', () =>
  describeWithKafka('and Kafka', () => streamRunnerSuite('Kafka and PostgreSQL', kafkaFixture)),
);
