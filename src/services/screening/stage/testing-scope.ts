import type { RequireScope } from '../../http/scopes.ts';

/** For unit tests that build the service without an HTTP server: the scope check is never called. */
export const requireNoScope: RequireScope = () => async () => {};
