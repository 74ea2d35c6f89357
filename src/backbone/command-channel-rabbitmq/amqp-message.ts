import type { Message, Options } from 'amqplib';
import type { MessageHeaders, OutgoingMessage } from '../messaging/event-bus.ts';
import { envelopeHeaders } from '../envelope/envelope.ts';

/** The header that carries the message key (the saga id), which AMQP has no field for. */
export const messageKeyHeader = 'message-key';

/**
 * An outgoing message as AMQP content and properties: persistent (written to disk by the queue),
 * its event id as the message id, its envelope as headers (text: the envelope's values are), and
 * `mandatory`, so that a message no queue takes comes back instead of vanishing.
 */
export function toAmqp(message: OutgoingMessage): { content: Buffer; options: Options.Publish } {
  const headers: Record<string, string> = { [messageKeyHeader]: message.key.toString('utf8') };
  for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = value.toString('utf8');
  return {
    content: message.value ?? Buffer.alloc(0),
    options: {
      persistent: true,
      mandatory: true,
      headers,
      ...(headers[envelopeHeaders.eventId] ? { messageId: headers[envelopeHeaders.eventId] } : {}),
      ...(headers[envelopeHeaders.eventType] ? { type: headers[envelopeHeaders.eventType] } : {}),
    },
  };
}

/** A delivered message's key and headers as the backbone reads them (text headers only; the broker's own are kept apart). */
export function fromAmqp(message: Message): { key: Buffer; headers: MessageHeaders } {
  const headers: MessageHeaders = {};
  for (const [name, value] of Object.entries((message.properties.headers ?? {}) as Record<string, unknown>)) {
    if (typeof value === 'string' && name !== messageKeyHeader) headers[name] = Buffer.from(value, 'utf8');
  }
  const key = message.properties.headers?.[messageKeyHeader] as unknown;
  return { key: Buffer.from(typeof key === 'string' ? key : '', 'utf8'), headers };
}

/** How many times the broker delivered this message before (quorum queues count it). */
export function previousDeliveries(message: Message): number {
  const count = Number(message.properties.headers?.['x-delivery-count'] ?? 0);
  return Number.isFinite(count) && count > 0 ? count : 0;
}
