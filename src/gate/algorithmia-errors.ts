/**
 * Algorithmia's error envelope, `{"error":{"id","code","message"}}`, as every transport that
 * answers in it needs it: REST on every non-2xx answer (rest/envelope.ts), and the gateway
 * authorizer on every refusal, so a gateway can hand Algorithmia's clients what they expect.
 */

/**
 * Algorithmia's error codes (its OpenAPI spec's `Error.code` enum) and the messages its docs give
 * them. Only codes of that enum are used, so its clients' schemas hold; where it has none (429,
 * 413, 503), the status and the message say what happened.
 */
export const ERROR = {
  algorithmNotFound: { code: 1000, message: 'The requested algorithm was not found.' },
  algorithmNameTaken: { code: 1002, message: 'An algorithm with the requested name already exists.' },
  versionNotFound: { code: 1014, message: 'The requested version was not found.' },
  notAuthorized: { code: 2001, message: 'Caller is not authorized to perform the operation.' },
  notAuthenticated: { code: 2002, message: 'Unknown or invalid API key.' },
  invalidJson: { code: 2013, message: 'Invalid JSON.' },
  userNotFound: { code: 3000, message: 'The requested user was not found.' },
  malformedUser: { code: 3001, message: 'Malformed user JSON in request.' },
  usernameTaken: { code: 3003, message: 'The username is already taken.' },
  emailTaken: { code: 3004, message: 'The email address is already taken by a different username.' },
  missingUserFields: { code: 3005, message: 'Not all required fields have been provided.' },
  usernameMismatch: { code: 3007, message: 'The username in the request body does not match the username in the request path.' },
  organizationNotFound: { code: 3100, message: 'The requested organization was not found.' },
  organizationNameTaken: { code: 3101, message: 'An organization already exists with this name.' },
  lastOwner: { code: 3102, message: 'Unable to remove the last owner of an organization.' },
  malformedOrganization: { code: 3103, message: 'Malformed organization JSON in request.' },
  organizationTypeNotFound: { code: 3108, message: 'The requested organization type was not found.' },
  invalidMarker: { code: 5002, message: 'Invalid marker used.' },
  invalidLimit: { code: 5003, message: 'Limit must be between 1 and the system-configured page size limit.' },
  invalidInput: { code: 6001, message: 'The request is invalid.' },
  /** Algorithmia's codes have none for keys (its clients never read one): the status and message say it. */
  apiKeyNotFound: { code: 2015, message: 'The requested API key was not found.' },
  /** Also what the gate's refusals without a code of their own are (a budget spent, a body too large): the status and message say which. */
  invalidRequest: { code: 2015, message: 'Invalid request.' },
  /** Also a database that is away (503, with Retry-After): Algorithmia's spec has no code of its own for it. */
  internal: { code: 5001, message: 'There was an internal error.' },
} as const satisfies Record<string, { code: number; message: string }>;

export type ErrorKind = keyof typeof ERROR;

/** The envelope: `code` is Algorithmia's number for the kind of error (one of ERROR's), `id` the request's. */
export const errorEnvelope = (requestId: string, code: number, message: string) => ({ error: { id: requestId, code, message } });
