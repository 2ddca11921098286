import { z } from 'zod';

/** Usernames, organization names and algorithm names (README, "Users and organizations"). */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/** A caller-supplied name, quoted for an error message and cut short: errors never echo megabytes. */
export function quoted(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}

/** Usernames, organization names and algorithm names are at most this long. */
export const MAX_NAME_LENGTH = 30;

/** A name given to find a user, organization or owner: nothing longer exists, so a longer one is refused, not looked up. */
export const nameReference = z.string().max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`);

export const ownerNameSchema = z
  .string()
  .max(MAX_NAME_LENGTH, `must be at most ${MAX_NAME_LENGTH} characters`)
  .regex(NAME_PATTERN, 'must start with a letter and contain only letters, digits and underscores');
