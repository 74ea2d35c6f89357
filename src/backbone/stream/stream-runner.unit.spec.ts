import { embeddedFixture } from '../testing/embedded-fixture.ts';
import { streamRunnerSuite } from './stream-runner.suite.ts';

streamRunnerSuite('the embedded engine (PGlite and the table log)', embeddedFixture);
