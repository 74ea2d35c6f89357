export * from './problem.ts';
export * from './scopes.ts';
export { clientErrorProblem, frameworkErrorProblem, installProblemErrorHandler, maxParamLength } from './error-handler.ts';
export { decodeCursor, encodeCursor, pageOf } from './pagination.ts';
