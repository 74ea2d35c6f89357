// Brings @fastify/swagger's route-schema fields (tags, summary) into Fastify's types for every route.
import type {} from '@fastify/swagger';
import type { preHandlerHookHandler } from 'fastify';

/** What an API key may do. A key holds one or more scopes. */
export const Scopes = {
  paymentsWrite: 'payments:write',
  paymentsRead: 'payments:read',
  accountsAdmin: 'accounts:admin',
  ops: 'ops',
  /** The schema registry's Confluent API: list, fetch, look up, check compatibility. */
  schemasRead: 'schemas:read',
  /** The schema registry's Confluent API: register, delete, change a compatibility level. */
  schemasWrite: 'schemas:write',
  /** List, create and revoke API keys (a key only grants scopes it holds itself). */
  keysAdmin: 'keys:admin',
  /** The order flow (src/apps/orders): place orders. */
  ordersWrite: 'orders:write',
  /** The order flow: read orders and their analytics. */
  ordersRead: 'orders:read',
  /** Apply for a loan (`POST /v1/loan-applications`). */
  loansWrite: 'loans:write',
  /** Read the loan applications the key made (an `ops` key reads all). */
  loansRead: 'loans:read',
  /** Ask for a payment authorization and override a decline (`POST /v1/authorizations`, `.../override`). */
  authorizationsWrite: 'authorizations:write',
  /** Read authorizations and their decisions. */
  authorizationsRead: 'authorizations:read',
} as const;
export type Scope = (typeof Scopes)[keyof typeof Scopes];
export const allScopes: readonly Scope[] = Object.values(Scopes);

/** The authenticated caller of a request, set by the API's authentication hook. */
export interface Principal {
  keyId: string;
  scopes: ReadonlySet<Scope>;
}

/** A route guard: rejects with 401 when unauthenticated and 403 when the key lacks `scope`. */
export type RequireScope = (scope: Scope) => preHandlerHookHandler;
