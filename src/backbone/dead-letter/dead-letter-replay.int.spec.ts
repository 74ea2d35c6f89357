import { deadLetterReplaySuite } from './dead-letter-replay.suite.ts';
import { kafkaFixture } from '../../../test/support/kafka-backbone-fixture.ts';
import { describeWithKafka } from '../../../test/support/engines.ts';

describeWithKafka('dead-letter replay on Kafka', () => deadLetterReplaySuite('Kafka and PostgreSQL', kafkaFixture));
