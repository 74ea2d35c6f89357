export * from './problem.ts';
export * from './scopes.ts';
export { clientErrorProblem, frameworkErrorProblem, installProblemErrorHandler, maxParamLength } from './error-handler.ts';
export { operatorActionBody, operatorActionOf, type OperatorActionBody } from './operator-action.ts';
