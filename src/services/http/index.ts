export * from './problem.ts';
export * from './scopes.ts';
export { clientErrorProblem, frameworkErrorProblem, installProblemErrorHandler, maxParamLength } from './error-handler.ts';
export { operatorActionBody, operatorActionOf, type OperatorActionBody } from './operator-action.ts';
export { idempotencyKeyHeaders, idempotencyKeyOf, idempotencyKeyPattern, requestDigest, sendAccepted } from './idempotency.ts';
