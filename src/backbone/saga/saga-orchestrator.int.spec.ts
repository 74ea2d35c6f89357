import { describeWithKafka, describeWithPostgres } from '../../../test/support/engines.ts';
import { kafkaFixture } from '../../../test/support/kafka-backbone-fixture.ts';
import { sagaOrchestratorSuite } from './saga-orchestrator.suite.ts';

describeWithPostgres('saga orchestrator on PostgreSQL', () =>
  describeWithKafka('and Kafka', () => sagaOrchestratorSuite('Kafka and PostgreSQL', kafkaFixture)),
);
