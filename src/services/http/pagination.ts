/**
 * Keyset pagination for the API's lists: the store is asked for `limit + 1` rows after the
 * previous page's last row, in a total order; the extra row only says that a next page exists.
 * Every row is reached exactly once however rows are added meanwhile behind the cursor, which
 * `offset` cannot promise.
 */
export function pageOf<Row, Key>(rows: readonly Row[], limit: number, keyOf: (last: Row) => Key): { items: Row[]; next: Key | null } {
  const items = rows.slice(0, limit);
  return { items, next: rows.length > limit ? keyOf(items[items.length - 1]!) : null };
}

/**
 * An opaque cursor for a position made of strings (the sort key of the last row seen): clients
 * pass it back as they got it and must not build one, so its format can change.
 */
export function encodeCursor(position: readonly string[]): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/** The position in a cursor made by `encodeCursor` with `length` parts, or undefined if it is not one. */
export function decodeCursor(cursor: string, length: number): string[] | undefined {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) return undefined;
  try {
    const position: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Array.isArray(position) && position.length === length && position.every((part) => typeof part === 'string') ? (position as string[]) : undefined;
  } catch {
    return undefined;
  }
}
