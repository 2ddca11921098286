/**
 * UTC calendar days, the unit key usage is counted in: as whole numbers (days since 1970-01-01),
 * which a clock reading turns into without building a Date, and as ISO dates (`2026-01-31`), which
 * is how Postgres `date`s, GraphQL's Date and REST spell them.
 */
export const MS_PER_DAY = 86_400_000;

/** The UTC day an instant (milliseconds since the epoch) falls on. */
export const utcDayOf = (ms: number): number => Math.floor(ms / MS_PER_DAY);

/** A day number as an ISO date. */
export const isoDay = (day: number): string => new Date(day * MS_PER_DAY).toISOString().slice(0, 10);

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `text` is an ISO date that exists (`2026-02-30` does not). */
export function isIsoDate(text: string): boolean {
  if (!ISO_DATE.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(ms) && isoDay(utcDayOf(ms)) === text;
}
