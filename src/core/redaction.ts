/**
 * One rule for fields that may hold a secret, wherever a structure leaves the process's hands: the
 * audit trail drops them, the log censors them. A second line of defence: no code path should hand
 * a secret to either in the first place.
 */

/** Field names that hold, or may hold, a secret: key secrets and their hashes, tokens, passwords, credentials. */
const SECRET_FIELD = /secret|password|hash|token|authorization|databaseurl/i;
/** Names that mention a secret but hold only a time (when a rolled key's old secret stops), so they are kept. */
const TIMES_ABOUT_SECRETS = new Set(['previousSecretValidUntil']);

/** Deeper than any structure this code builds: what lies below is left as it is (and cycles end). */
const MAX_DEPTH = 8;

/** What `isSecretField` answered, by name: every log line asks for the same few names. Bounded, should names ever come from data. */
const answered = new Map<string, boolean>();
const MAX_ANSWERS_KEPT = 1000;
/** Names longer than this are not remembered: code's names are short, data's need not be. */
const MAX_NAME_KEPT = 64;

function isSecretField(name: string): boolean {
  let secret = answered.get(name);
  if (secret === undefined) {
    secret = !TIMES_ABOUT_SECRETS.has(name) && SECRET_FIELD.test(name);
    if (answered.size < MAX_ANSWERS_KEPT && name.length <= MAX_NAME_KEPT) answered.set(name, secret);
  }
  return secret;
}

const walked = (value: unknown): value is object => value !== null && typeof value === 'object' && !(value instanceof Date) && !(value instanceof Error);

/** Whether `value` has a secret-looking field anywhere within MAX_DEPTH (no copy made). */
export function holdsSecretField(value: unknown, depth = 0): boolean {
  if (!walked(value) || depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) return value.some((inner) => holdsSecretField(inner, depth + 1));
  for (const field in value) {
    if (isSecretField(field) || holdsSecretField((value as Record<string, unknown>)[field], depth + 1)) return true;
  }
  return false;
}

/**
 * A copy of `value` without its secret-looking fields: replaced by `censor` when one is given,
 * dropped otherwise. Dates and errors are kept as they are (the log's error serializer keeps only
 * an allow-list of an error's fields).
 */
export function withoutSecretFields(value: unknown, censor?: string, depth = 0): unknown {
  if (!walked(value) || depth >= MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map((inner) => withoutSecretFields(inner, censor, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [field, inner] of Object.entries(value)) {
    if (!isSecretField(field)) copy[field] = withoutSecretFields(inner, censor, depth + 1);
    else if (censor !== undefined) copy[field] = censor;
  }
  return copy;
}
