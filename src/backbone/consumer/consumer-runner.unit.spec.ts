import { consumerRunnerSuite } from './consumer-runner.suite.ts';
import { embeddedFixture } from '../testing/embedded-fixture.ts';

consumerRunnerSuite('the embedded engine (PGlite)', embeddedFixture);
