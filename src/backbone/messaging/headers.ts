import type { MessageHeaders } from './event-bus.ts';

/** Header values are bytes; stored as base64 in jsonb so they stay readable in psql. */
export function encodeHeaders(headers: MessageHeaders | undefined): string {
  const encoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) encoded[name] = value.toString('base64');
  return JSON.stringify(encoded);
}

export function decodeHeaders(stored: unknown): MessageHeaders {
  const value = typeof stored === 'string' ? (JSON.parse(stored) as unknown) : stored;
  const headers: MessageHeaders = {};
  for (const [name, encoded] of Object.entries((value ?? {}) as Record<string, string>)) headers[name] = Buffer.from(encoded, 'base64');
  return headers;
}
