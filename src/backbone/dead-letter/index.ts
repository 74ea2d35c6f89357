export {
  DeadLetterReplay,
  deadLetterReviewGroupId,
  type DeadLetterFilter,
  type DeadLetterView,
  type ReplayRequest,
  type ReplayResult,
} from './dead-letter-replay.ts';
export { deadLetterMigrations } from './migrations.ts';
