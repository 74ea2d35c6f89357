// An instance's state is stored as text, so its bigints (amounts in minor units) need a JSON form.

/** JSON with bigints kept exact as `{"$bigint":"123"}`, as the JSON codec writes them. */
export function stringifySagaJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? { $bigint: item.toString() } : item));
}

export function parseSagaJson(text: string): unknown {
  return JSON.parse(text, (_key, item: unknown) =>
    item && typeof item === 'object' && '$bigint' in item && typeof item.$bigint === 'string' ? BigInt(item.$bigint) : item,
  );
}
