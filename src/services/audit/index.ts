export { createAuditService, auditServiceName, type AuditServiceOptions } from './audit-service.ts';
export { verifyAuditChain, checkLink, type AuditChainBreak, type AuditChainVerification, type VerifyAuditChainOptions } from './verify.ts';
export { appendAuditEntry, auditRecordOf, type AuditRecord } from './append.ts';
export { canonicalEntry, chainFormat, entryHash, genesisHash, paymentIdOf, type AuditEntry } from './chain.ts';
export { auditMigrations } from './schema.ts';
export { auditReadScope } from './routes.ts';
export { canonicalJson, toJsonValue, type JsonValue } from './safe-json.ts';
export type { Problem, RequireScope } from '../http/index.ts';
