import { consumerRunnerSuite } from './consumer-runner.suite.ts';
import { kafkaFixture } from '../../../test/support/kafka-backbone-fixture.ts';
import { describeWithKafka } from '../../../test/support/engines.ts';

describeWithKafka('consumer runner on Kafka', () => consumerRunnerSuite('Kafka and PostgreSQL', kafkaFixture));
