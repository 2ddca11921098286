/**
 * Errors services raise for the caller's own mistakes. Transport-free: GraphQL turns them into
 * `userErrors` in mutation payloads and into coded top-level errors elsewhere; a REST layer would
 * turn them into 4xx bodies. Thrown inside a transaction, they also roll it back.
 */
import type { ZodError } from 'zod';

export type UserErrorCode =
  | 'INVALID'
  | 'TAKEN'
  | 'NOT_FOUND'
  | 'FORBIDDEN'
  | 'CONFLICT'
  // An operator's quota (core/limits.ts) is full: nothing was written; make room first.
  | 'QUOTA_EXCEEDED'
  // Warnings: the change was made, but part of it has no effect.
  | 'REDUNDANT'
  | 'NO_EFFECT';

export interface UserErrorData {
  /** Path to the offending input field, relative to the mutation's `input` (e.g. ["username"]). */
  field: string[] | null;
  message: string;
  code: UserErrorCode;
}

export class ServiceError extends Error {
  constructor(readonly errors: UserErrorData[]) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'ServiceError';
  }
}

export function userError(code: UserErrorCode, message: string, field: string[] | null = null): ServiceError {
  return new ServiceError([{ code, message, field }]);
}

/** One user error per zod issue, named by its field path; messages come from the schemas. */
export function fromZodError(error: ZodError): ServiceError {
  return new ServiceError(
    error.issues.map((issue) => {
      const field = issue.path.map(String);
      const name = field.length > 0 ? field.join('.') : 'input';
      return { code: 'INVALID', field: field.length > 0 ? field : null, message: `${name}: ${issue.message}` };
    }),
  );
}

/**
 * The key lacks a permission the operation needs (its plane, manageAlgorithms, manageAccount): not
 * a mistake in the input, so never a `userErrors` entry. GraphQL answers FORBIDDEN, REST 403.
 */
export class PermissionDenied extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermissionDenied';
  }
}
