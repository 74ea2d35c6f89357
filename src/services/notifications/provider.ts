import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface EmailMessage {
  /** The delivery's id, the same on every attempt: a provider that deduplicates should key on it. */
  idempotencyKey: string;
  to: string;
  subject: string;
  text: string;
}

export interface SmsMessage {
  idempotencyKey: string;
  /** The phone number as the account's contact data holds it. */
  to: string;
  text: string;
}

/**
 * Sends emails and text messages. A call that resolves counts as delivered; one that rejects is
 * retried with backoff (so it may be called again with the same `idempotencyKey`) and, after the
 * last attempt, dead-lettered. Error messages are stored with the delivery, never logged.
 */
export interface NotificationProvider {
  sendEmail(message: EmailMessage): Promise<void>;
  sendSms(message: SmsMessage): Promise<void>;
}

/**
 * The default provider: appends one JSON line per message to a local file, a stand-in for a real
 * email and SMS gateway on a developer's machine. The file holds contact data: keep it out of
 * shared places. Writes are chained, so lines never interleave.
 */
export class JsonLinesNotificationProvider implements NotificationProvider {
  readonly path: string;
  readonly #nowMs: () => number;
  #tail: Promise<void> = Promise.resolve();
  #ready: Promise<unknown> | undefined;

  constructor(path: string, nowMs: () => number) {
    this.path = path;
    this.#nowMs = nowMs;
  }

  sendEmail(message: EmailMessage): Promise<void> {
    return this.#append({ channel: 'email', ...message });
  }

  sendSms(message: SmsMessage): Promise<void> {
    return this.#append({ channel: 'sms', ...message });
  }

  #append(line: object): Promise<void> {
    this.#ready ??= mkdir(dirname(this.path), { recursive: true });
    const text = `${JSON.stringify({ ...line, sentAt: new Date(this.#nowMs()).toISOString() })}\n`;
    const written = this.#tail.then(async () => {
      await this.#ready;
      await appendFile(this.path, text, { encoding: 'utf8', mode: 0o600 });
    });
    this.#tail = written.catch(() => {});
    return written;
  }
}
