/**
 * Business days are UTC calendar dates, `YYYY-MM-DD`: the RTGS network dates its settlements and
 * statements that way (FctvIntrBkSttlmDt, camt.053 FrToDt), so the books are cut at UTC midnight too.
 */

const dayMs = 24 * 60 * 60_000;

/** Whether `text` is a real calendar date written `YYYY-MM-DD` (not `2025-02-30`). */
export function isBusinessDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/** The UTC date of an instant. */
export function businessDateOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `[from, to)`: the day's first instant and the next day's first instant. */
export function dayBounds(date: string): { from: Date; to: Date } {
  const fromMs = Date.parse(`${date}T00:00:00Z`);
  return { from: new Date(fromMs), to: new Date(fromMs + dayMs) };
}

export function previousBusinessDate(date: string): string {
  return businessDateOf(Date.parse(`${date}T00:00:00Z`) - dayMs);
}

/**
 * The latest business day whose reconciliation is due at `nowMs`: day D is due from `cutOffMs`
 * after the end of D (e.g. 00:30 UTC on D+1), which leaves the network time to close its books and
 * our consumers time to apply the last settlements of D.
 */
export function dueBusinessDate(nowMs: number, cutOffMs: number): string {
  return previousBusinessDate(businessDateOf(nowMs - cutOffMs));
}

/** `HH:MM` (UTC) as milliseconds after midnight; undefined when it is not a time of day. */
export function parseTimeOfDay(text: string): number | undefined {
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  if (!match) return undefined;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (hours > 23 || minutes > 59) return undefined;
  return (hours * 60 + minutes) * 60_000;
}
