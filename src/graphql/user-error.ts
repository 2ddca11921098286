import { builder } from './builder.js';
import type { UserErrorData } from '../core/errors.js';

export const UserErrorCodeEnum = builder.enumType('UserErrorCode', {
  description: 'What kind of problem a UserError reports; the message says which rule.',
  values: {
    INVALID: { description: 'The value breaks a rule the message names.' },
    TAKEN: { description: 'The name or email is already in use (or was once).' },
    NOT_FOUND: { description: 'No such object, or not one you may see.' },
    FORBIDDEN: { description: 'Your key may not make this change.' },
    CONFLICT: { description: 'The change conflicts with the current state.' },
    QUOTA_EXCEEDED: { description: "The owner or algorithm already holds as many keys, algorithms or versions as the server allows; the message names the quota and its limit. Nothing was changed." },
    REDUNDANT: { description: 'Warning: the entry adds nothing; another entry already covers it.' },
    NO_EFFECT: { description: 'Warning: the setting cannot take effect as configured.' },
  } as const,
});

export const USER_ERRORS_DESCRIPTION =
  "Problems with the input that the caller can fix. If there are any, nothing was changed and the payload's objects are null.";
export const WARNINGS_DESCRIPTION =
  'The change was made, but part of it has no effect (e.g. an algorithmAccess entry that another one covers).';

export const UserErrorType = builder.objectRef<UserErrorData>('UserError').implement({
  description:
    'In `userErrors`: a problem with the input that the caller can fix; nothing was changed. ' +
    'In `warnings`: the change was made, but part of it has no effect.',
  fields: (t) => ({
    field: t.exposeStringList('field', {
      nullable: true,
      description: 'Path to the offending field inside `input`, e.g. ["callerOrigin", "referrerHosts", "0"].',
    }),
    message: t.exposeString('message', {
      description: 'What is wrong, for people; usually starts with the field, e.g. "name: must be at most 64 characters".',
    }),
    code: t.expose('code', { type: UserErrorCodeEnum, description: 'The kind of problem, for programs.' }),
  }),
});
