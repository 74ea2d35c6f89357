import { embeddedFixture } from '../testing/embedded-fixture.ts';
import { sagaOrchestratorSuite } from './saga-orchestrator.suite.ts';

sagaOrchestratorSuite('the embedded engine (PGlite and the table log)', embeddedFixture);
