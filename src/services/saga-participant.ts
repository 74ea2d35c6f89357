import type { ConsumerOptions } from '../backbone/consumer/consumer-runner.ts';
import { sagaParticipant, type CommandChannel, type SagaParticipantHandler } from '../backbone/saga/index.ts';
import type { BackgroundWorker, PaymentService } from './service.ts';

/**
 * A service's saga participant on the command channel the platform was configured with
 * (`SagaPorts.commandChannel`), as the parts of a `PaymentService` that run it:
 *
 * - on the event bus, a consumer of the service, so it is run, retried (`retry`), dead-lettered and
 *   measured (consumer lag) like any other consumer group;
 * - on RabbitMQ, a background worker that consumes the destinations' quorum queues
 *   (`RabbitParticipant`: manual acknowledgements, bounded redeliveries, the dead-letter exchange);
 *   the channel's own redelivery policy replaces `retry`.
 *
 * Either way the handler's work, its reply and the record of the command commit in one database
 * transaction, so the participant's effects are exactly once.
 */
export function commandParticipant(
  channel: CommandChannel,
  name: string,
  destinations: readonly string[],
  handle: SagaParticipantHandler,
  retry: ConsumerOptions['retry'],
): Required<Pick<PaymentService, 'consumers' | 'workers'>> {
  if (channel.kind === 'bus') return { consumers: [{ ...sagaParticipant(name, destinations, handle), retry }], workers: [] };
  const participant = channel.participant(name, destinations, handle);
  const worker: BackgroundWorker = {
    name: `${name} (RabbitMQ)`,
    // Not awaited: the participant keeps reconnecting while the broker is down, and the process
    // (its API, its other consumers) must not wait for it; the commands wait in their queues.
    start: async () => void participant.start(),
    stop: () => participant.stop(),
  };
  return { consumers: [], workers: [worker] };
}
