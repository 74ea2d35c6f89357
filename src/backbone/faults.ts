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
  /**
   * A saga's transition is written (facts, state, timer, commands in the outbox) and its
   * transaction not committed yet. Detail: `<sagaType>/<step or compensation name>`.
   */
  sagaBeforeCommit: 'saga.before-commit',
  /** A saga's timer fired and its transaction committed; its command is in the outbox. Detail as above. */
  sagaTimerAfterCommit: 'saga.timer-after-commit',
  /**
   * A stream processor's batch is applied (state, timers, outputs in the outbox) and its
   * transaction not committed yet. Detail: the processor's name.
   */
  streamBeforeCommit: 'stream.before-commit',
  /** The stream timer worker ran a partition's due deadlines; its transaction is not committed yet. Detail: `<processor>/<partition>`. */
  streamTimerBeforeCommit: 'stream.timer-before-commit',
  /** A participant's transaction on a command (RabbitMQ) committed; the command is not acknowledged yet. */
  commandAfterCommit: 'command.after-commit',
} as const;

export type FaultPoint = (typeof FaultPoints)[keyof typeof FaultPoints];

export interface FaultInjector {
  /** `detail` narrows the point where it is reached for many things (a saga's step). */
  reach(point: FaultPoint, detail?: string): void;
}
