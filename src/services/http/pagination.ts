import { ProblemError } from './problem.ts';

/**
 * Cursor pagination for list routes: a page is read with `limit + 1` rows, so whether there is a
 * next page is known without counting, and the next page starts after the last row shown. The
 * cursor is opaque to clients (base64url of the sort key of that row): they pass back what they
 * were given, and the sort key can change without breaking them.
 */
export interface Page<Item> {
  items: Item[];
  /** The cursor of the next page; null on the last page. */
  nextCursor: string | null;
}

/**
 * `limit` as a declared query parameter. A string, which `parseLimit` reads and checks, so every
 * bad limit gets the same problem naming `limit`.
 */
export function limitParameter(options: PageLimits) {
  return {
    type: 'string',
    maxLength: 7,
    description: `Items per page: an integer from 1 to ${options.max}; default ${options.default}`,
  } as const;
}

export interface PageLimits {
  max: number;
  default: number;
}

/** The page size asked for, or the default; outside 1..max is a 400 naming the `limit` parameter. */
export function parseLimit(text: string | undefined, limits: PageLimits): number {
  if (text === undefined) return limits.default;
  const limit = /^[0-9]{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(limit >= 1 && limit <= limits.max))
    throw new ProblemError('invalid-field', `limit must be an integer from 1 to ${limits.max}`, 'limit');
  return limit;
}

/** `cursor` as a declared query parameter. */
export const cursorParameter = {
  type: 'string',
  minLength: 1,
  maxLength: 512,
  description: 'The `nextCursor` of the previous page; absent for the first page',
} as const;

/** The schema of a page's `nextCursor` field. */
export const nextCursorSchema = {
  type: ['string', 'null'],
  description: 'Pass as `cursor` for the next page; null on the last page',
} as const;

/**
 * Cuts `rows` (read with `limit + 1`) to a page; the next page's cursor is `cursorOf` its last item
 * (`encodeCursor` of its sort key for an opaque cursor; the audit trail and the webhook deliveries
 * give out a sequence or an id as is, as their `nextAfter`).
 */
export function pageOf<Row>(rows: readonly Row[], limit: number, cursorOf: (row: Row) => string): Page<Row> {
  const items = rows.slice(0, limit);
  const more = rows.length > limit;
  return { items, nextCursor: more ? cursorOf(items[items.length - 1]!) : null };
}

export function encodeCursor(sortKey: readonly string[]): string {
  return Buffer.from(JSON.stringify(sortKey), 'utf8').toString('base64url');
}

/**
 * The sort key inside a cursor, which must have `arity` string parts matching `part`; anything else
 * (forged, truncated, from another list) is a 400 `invalid-field` naming the `cursor` parameter.
 */
export function decodeCursor(cursor: string, arity: number, part: RegExp): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length !== arity || !parsed.every((item) => typeof item === 'string' && part.test(item))) {
    throw new ProblemError(
      'invalid-field',
      'cursor is not a cursor this list gave out (pass the nextCursor of the previous page as is)',
      'cursor',
    );
  }
  return parsed as string[];
}

/**
 * `limit` and `after`, for the lists that give out a sequence or an id as is (the audit trail, the
 * webhook deliveries): `limit` declared as `limitParameter` does, `after` the previous page's
 * `nextAfter`.
 */
export function afterPageQuery(limits: PageLimits) {
  return {
    limit: limitParameter(limits),
    after: { type: 'string', minLength: 1, description: 'The `nextAfter` of the previous page; absent for the first page' },
  } as const;
}

/** The schema of a page's `nextAfter` field (the lists of `afterPageQuery`). */
export const nextAfterSchema = {
  type: ['string', 'null'],
  description: 'Pass as `after` for the next page; null on the last page',
} as const;
