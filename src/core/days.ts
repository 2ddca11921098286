/**
 * UTC calendar days, the unit key usage is counted in: as whole numbers (days since 1970-01-01),
 * which a clock reading turns into without building a Date, and as ISO dates (`2026-01-31`), which
 * is how Postgres `date`s, GraphQL's Date and REST spell them.
 */
export const MS_PER_DAY = 86_400_000;

/** The UTC day an instant (milliseconds since the epoch) falls on. */
export const utcDayOf = (ms: number): number => Math.floor(ms / MS_PER_DAY);

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const three = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

/** A day number as an ISO date, for years 0000 to 9999 (days from civil, Howard Hinnant's algorithm). */
export function isoDay(day: number): string {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const dayOfMonth = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return `${year < 1000 ? String(year).padStart(4, '0') : year}-${two(month)}-${two(dayOfMonth)}`;
}

/**
 * The instants a DateTime may name: those with a four-digit year. Beyond them an ISO-8601 string
 * needs an expanded year (+275760-09-13T00:00:00.000Z), which JavaScript writes but Postgres cannot
 * read back.
 */
export const EARLIEST_INSTANT = Date.parse('0001-01-01T00:00:00.000Z');
export const LATEST_INSTANT = Date.parse('9999-12-31T23:59:59.999Z');

/**
 * An instant as `Date#toISOString` writes it (2026-01-31T12:00:00.000Z), about three times faster
 * for the years 0001 to 9999: a page of versions serializes hundreds. Outside them, toISOString's own.
 * The instants written last are kept by their milliseconds: pages are read again and again (the
 * catalogue's first page, an owner's list, one owner's versions repeated in a batch), and a kept
 * instant costs a lookup instead of a new string.
 */
export function isoInstant(date: Date): string {
  const ms = date.getTime();
  const slot = slotOf(ms);
  if (recentMs[slot] === ms) return recentText[slot]!;
  const text = ms >= EARLIEST_INSTANT && ms <= LATEST_INSTANT ? writeInstant(ms) : date.toISOString();
  recentMs[slot] = ms;
  recentText[slot] = text;
  return text;
}

/** How many instants are kept (a power of two). */
const RECENT_INSTANTS = 1024;

/**
 * Where an instant is kept: its milliseconds hashed (both 32-bit halves, mixed as MurmurHash3's
 * finalizer does), not their low bits, which instants a whole number of days apart share (a day is
 * 2 ** 10 × 84 375 ms).
 */
function slotOf(ms: number): number {
  let h = (ms | 0) ^ ((ms / 0x1_0000_0000) | 0);
  h = Math.imul(h ^ (h >>> 16), 0x85eb_ca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2_ae35);
  return (h ^ (h >>> 16)) & (RECENT_INSTANTS - 1);
}

const recentMs = new Float64Array(RECENT_INSTANTS).fill(Number.NaN);
const recentText = new Array<string>(RECENT_INSTANTS).fill('');

function writeInstant(ms: number): string {
  const day = utcDayOf(ms);
  const inDay = ms - day * MS_PER_DAY;
  const seconds = Math.floor(inDay / 1000);
  return `${isoDay(day)}T${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}.${three(inDay % 1000)}Z`;
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `text` is an ISO date that exists (`2026-02-30` does not). */
export function isIsoDate(text: string): boolean {
  if (!ISO_DATE.test(text)) return false;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return !Number.isNaN(ms) && isoDay(utcDayOf(ms)) === text;
}
