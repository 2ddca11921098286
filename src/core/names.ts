import { z } from 'zod';

/** Usernames, organization names and algorithm names (README, "Users and organizations"). */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

/** A caller-supplied name, quoted for an error message and cut short: errors never echo megabytes. */
export function quoted(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}

export const ownerNameSchema = z
  .string()
  .max(30, 'must be at most 30 characters')
  .regex(NAME_PATTERN, 'must start with a letter and contain only letters, digits and underscores');
