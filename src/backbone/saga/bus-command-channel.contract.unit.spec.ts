import { busCommandChannelFixture } from '../../../test/support/command-channel-fixtures.ts';
import { embeddedFixture } from '../testing/embedded-fixture.ts';
import { commandChannelContract } from './command-channel.contract.ts';

commandChannelContract('the event bus on the embedded engine (PGlite and the table log)', () => busCommandChannelFixture(embeddedFixture));
