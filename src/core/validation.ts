/** Input rules shared by every service, so a rule reads and answers the same everywhere. */
import { z } from 'zod';
import { fromZodError } from './errors.js';

/** Parses input or throws one INVALID user error per broken rule, each naming its field. */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw fromZodError(parsed.error);
  return parsed.data;
}

/** Optional free text: absent stays absent (an update keeps the value); null or blank clears it. */
export const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullish()
    .transform((v) => (v === undefined ? undefined : v || null));

export const emailSchema = z
  .string()
  .trim()
  .max(254, 'must be at most 254 characters')
  .pipe(z.email('must be an email address like name@example.com'));

/** The fields of `next` that differ from `current`, as `{ field: { from, to } }` for the audit trail. */
export function changesBetween<T extends object>(current: T, next: Partial<T>): Record<string, { from: unknown; to: unknown }> {
  return Object.fromEntries(
    Object.entries(next)
      .filter(([field, value]) => JSON.stringify(value) !== JSON.stringify(current[field as keyof T]))
      .map(([field, value]) => [field, { from: current[field as keyof T], to: value }]),
  );
}
