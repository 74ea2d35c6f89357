export * from './problem.ts';
export * from './scopes.ts';
export { installProblemErrorHandler } from './error-handler.ts';
