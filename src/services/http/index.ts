export * from './problem.ts';
export * from './scopes.ts';
export { installProblemErrorHandler } from './error-handler.ts';
export { decodeCursor, encodeCursor, pageOf } from './pagination.ts';
