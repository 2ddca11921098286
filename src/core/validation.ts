/** Input rules shared by every service, so a rule reads and answers the same everywhere. */
import { z } from 'zod';
import { fromZodError, userError } from './errors.js';

/** Parses input or throws one INVALID user error per broken rule, each naming its field. */
export function parse<T extends z.ZodType>(schema: T, input: unknown): z.output<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw fromZodError(parsed.error);
  return parsed.data;
}

/**
 * A free string argument that no schema reads (a name to look up, a reference, search text, an
 * origin, a cursor): refused past `max` characters, naming the argument and the limit, before any
 * work is done with it.
 */
export function boundedArgument<T extends string | null | undefined>(field: string, value: T, max: number): T {
  if (typeof value === 'string' && value.length > max) throw userError('INVALID', `${field}: must be at most ${max} characters`, [field]);
  return value;
}

/** Search text (`users(query:)`, `organizations(query:)`), matched inside names, emails and labels: none is longer. */
export const MAX_SEARCH_LENGTH = 100;

/** Trimmed text of at most `max` characters, the limit named in the error. */
export const text = (max: number) => z.string().trim().max(max, `must be at most ${max} characters`);

/**
 * Characters a one-line name may not hold: controls (C0, C1, line and paragraph separators),
 * format characters (bidi embeddings, overrides and isolates, zero-width spaces and joiners, the
 * byte order mark, the soft hyphen) and lone surrogates. They hide or reorder what a reader sees:
 * `default-key\u200b` reads as `default-key`.
 */
const UNSEEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u;
export const NAME_CHARACTERS_RULE = 'must not contain control, bidi or zero-width characters';

/**
 * A human-readable one-line name (a key's name, a label, a person's, contact's or company's name):
 * trimmed, at most `max` characters, none of them unseen. The error names the first one found.
 */
export const nameText = (max: number) =>
  text(max).refine((value) => !UNSEEN.test(value), {
    error: (issue) => {
      const found = UNSEEN.exec(String(issue.input))?.[0].codePointAt(0) ?? 0;
      return `${NAME_CHARACTERS_RULE} (found U+${found.toString(16).toUpperCase().padStart(4, '0')})`;
    },
  });

/** Optional: absent stays absent (an update keeps the value); null or blank clears it. */
const optional = (schema: z.ZodType<string, string>) =>
  schema.nullish().transform((v) => (v === undefined ? undefined : v || null));

/** Optional free text (see `optional`). */
export const optionalText = (max: number) => optional(text(max));

/** An optional one-line name (see `nameText` and `optional`). */
export const optionalName = (max: number) => optional(nameText(max));

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
