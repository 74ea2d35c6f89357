import { pooledRandomBytes } from '../clock/random-bytes.ts';

/**
 * W3C Trace Context (`traceparent`, https://www.w3.org/TR/trace-context/) without a tracing SDK:
 * enough to carry one trace through event headers from the HTTP request to the last consumer.
 * An OpenTelemetry SDK, when wired, reads and writes the same header.
 *
 *   traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
 *                version-traceId (16 bytes)-parentId (8 bytes)-flags
 */
export const traceparentHeader = 'traceparent';

export interface TraceContext {
  /** 32 lower-case hex digits, not all zero. */
  traceId: string;
  /** The span that sent the message: 16 lower-case hex digits, not all zero. */
  parentId: string;
  /** Bit 0 is `sampled`; other bits are kept as received. */
  flags: number;
}

/** Random bytes; injected so tests are deterministic. */
export type RandomBytes = (size: number) => Uint8Array;

/**
 * Parses a `traceparent` value, or returns `undefined` when it is invalid, which the receiver
 * treats as absent (and starts a new trace) rather than as an error: a bad header from a partner
 * must not fail the payment. Follows the spec's versioning rule: version `ff` is invalid, version
 * `00` is exactly 55 characters, and a later version may append fields after a `-`, ignored here.
 */
export function parseTraceparent(value: string): TraceContext | undefined {
  const match = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(.*)$/.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [string, string, string, string, string, string];
  if (version === 'ff') return undefined;
  if (version === '00' ? rest !== '' : rest !== '' && !rest.startsWith('-')) return undefined;
  if (isAllZero(traceId) || isAllZero(parentId)) return undefined;
  return { traceId, parentId, flags: Number.parseInt(flags, 16) };
}

/** Formats as version 00, the only version this code writes. */
export function formatTraceparent(context: TraceContext): string {
  return `00-${context.traceId}-${context.parentId}-${(context.flags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A new trace, e.g. for a request that arrived without one. Sampled unless told otherwise. */
export function newTraceparent(random: RandomBytes = pooledRandomBytes, options: { sampled?: boolean } = {}): string {
  return formatTraceparent({ traceId: nonZeroHex(random, 16), parentId: nonZeroHex(random, 8), flags: options.sampled === false ? 0 : 1 });
}

/**
 * The header for a message this span sends: the same trace and flags, a new span id as parent. A
 * `parent` that does not parse starts a new trace instead.
 */
export function childTraceparent(parent: string | TraceContext | undefined, random: RandomBytes = pooledRandomBytes): string {
  const context = typeof parent === 'string' ? parseTraceparent(parent) : parent;
  if (context === undefined) return newTraceparent(random);
  return formatTraceparent({ traceId: context.traceId, parentId: nonZeroHex(random, 8), flags: context.flags });
}

export function isSampled(context: TraceContext): boolean {
  return (context.flags & 0x01) === 0x01;
}

function nonZeroHex(random: RandomBytes, size: number): string {
  // All zeros is the spec's "invalid" id; with real randomness a retry is never needed.
  for (let attempt = 0; attempt < 8; attempt++) {
    const hex = Buffer.from(random(size)).toString('hex');
    if (hex.length !== size * 2) throw new Error(`random source returned ${hex.length / 2} bytes, expected ${size}`);
    if (!isAllZero(hex)) return hex;
  }
  throw new Error('random source returned only zeros');
}

function isAllZero(hex: string): boolean {
  return /^0+$/.test(hex);
}
