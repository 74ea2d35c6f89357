/**
 * JSON for decoded event payloads, which are not plain JSON: Avro `long`s and decimals decode to
 * `bigint` (which `JSON.stringify` refuses), `bytes` to `Buffer`. The audit log stores and hashes
 * the result, so the conversion must be total (every payload converts), lossless for what payments
 * carry, and deterministic (the same payload always gives the same text).
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * Converts a decoded payload to plain JSON values:
 * - `bigint` → decimal string (`1250n` → `"1250"`): exact, unlike a float;
 * - `Buffer` / `Uint8Array` → base64 string;
 * - `Date` → ISO 8601 string;
 * - `NaN` and `±Infinity` → their names as strings, because JSON has no such numbers and `null`
 *   would lose the fact;
 * - `undefined` object members are left out and `undefined` array items become `null`, as
 *   `JSON.stringify` does.
 * Throws a TypeError on a cycle, a function or a symbol: a codec never produces them, so one is a
 * programmer error.
 */
export function toJsonValue(value: unknown): JsonValue {
  return convert(value, new Set(), false);
}

/**
 * The canonical JSON text of a payload: `toJsonValue`, then object keys sorted by UTF-16 code
 * units at every level, no whitespace. Two payloads with the same content give the same text,
 * whatever the order their keys were built in, so the text can be hashed.
 */
export function canonicalJson(value: unknown): string {
  // One pass: the keys are sorted as the objects are converted (every audited event goes through here).
  return JSON.stringify(convert(value, new Set(), true));
}

function convert(value: unknown, ancestors: Set<object>, sortKeys: boolean): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'undefined':
      return null;
    case 'object':
      return value === null ? null : convertObject(value, ancestors, sortKeys);
    default:
      throw new TypeError(`cannot convert a ${typeof value} to JSON`);
  }
}

function convertObject(value: object, ancestors: Set<object>, sortKeys: boolean): JsonValue {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (ancestors.has(value)) throw new TypeError('cannot convert a cyclic structure to JSON');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => convert(item, ancestors, sortKeys));
    const result = jsonObject();
    const keys = Object.keys(value);
    if (sortKeys) keys.sort();
    for (const key of keys) {
      const member = (value as Record<string, unknown>)[key];
      if (member !== undefined) result[key] = convert(member, ancestors, sortKeys);
    }
    return result;
  } finally {
    ancestors.delete(value);
  }
}

/** No prototype, so a payload member named `__proto__` is kept as data, never as a prototype. */
function jsonObject(): { [key: string]: JsonValue } {
  return Object.create(null) as { [key: string]: JsonValue };
}
