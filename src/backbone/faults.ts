/**
 * Named points in the backbone where a fault-injection test may crash the process, to prove that
 * a crash exactly there loses nothing and applies nothing twice (test/fault/). In production no
 * injector is set and reaching a point costs one optional call.
 */
export const FaultPoints = {
  /** The consumer's database transaction committed; the bus has not committed the offset yet. */
  consumerAfterCommit: 'consumer.after-commit',
  /** The outbox relay published a batch; it has not deleted the rows yet. */
  relayAfterPublish: 'relay.after-publish',
  /** A participant's transaction on a command (RabbitMQ) committed; the command is not acknowledged yet. */
  commandAfterCommit: 'command.after-commit',
} as const;

export type FaultPoint = (typeof FaultPoints)[keyof typeof FaultPoints];

export interface FaultInjector {
  reach(point: FaultPoint): void;
}
