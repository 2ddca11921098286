import { z } from 'zod';

/** Usernames, organization names and algorithm names (DESIGN §3). */
export const NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]*$/;

export const ownerNameSchema = z
  .string()
  .max(30, 'must be at most 30 characters')
  .regex(NAME_PATTERN, 'must start with a letter and contain only letters, digits and underscores');
