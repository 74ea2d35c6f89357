import { deadLetterReplaySuite } from './dead-letter-replay.suite.ts';
import { embeddedFixture } from '../testing/embedded-fixture.ts';

deadLetterReplaySuite('the embedded engine (PGlite)', embeddedFixture);
