/**
 * Structured JSON logs. Redaction is a second line of defence: no code path should hand a secret to
 * the logger in the first place.
 */
import { pino, type Logger } from 'pino';
import { holdsSecretField, withoutSecretFields } from './redaction.js';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * What an error may tell the log besides its type, message and stack. A failed statement's error
 * also carries the statement's parameters (drizzle's `params`, PGlite's `params`, postgres.js's
 * `parameters` in debug mode) and Postgres's `detail` and `where`, which quote the values of the
 * row (`Key (name)=(…)`): none of those is listed, so none is logged, whichever driver ran it.
 */
const LOGGED_FIELDS = ['code', 'severity', 'routine', 'table', 'column', 'constraint', 'schema', 'dataType', 'errno', 'syscall'] as const;

/** Drizzle writes a failed statement's parameters into the error's message after this line break. */
const PARAMETERS_IN_MESSAGE = '\nparams: ';

const MAX_CAUSES = 5;

export interface LoggedError {
  type: string;
  message: string;
  stack?: string;
  cause?: LoggedError;
  [field: string]: unknown;
}

/** `error` as the log may keep it: never a statement's parameters, whichever driver ran it. */
export function loggedError(error: unknown, depth = 0): LoggedError {
  if (!(error instanceof Error)) return { type: typeof error, message: typeof error === 'string' ? error : 'non-error value thrown' };
  const message = error.message.split(PARAMETERS_IN_MESSAGE)[0]!;
  const logged: LoggedError = { type: error.constructor?.name ?? error.name, message };
  if (typeof error.stack === 'string') {
    const at = error.stack.indexOf(error.message);
    // Without the message where it should be, only the frames are safe to keep.
    logged.stack =
      at >= 0
        ? error.stack.slice(0, at) + message + error.stack.slice(at + error.message.length)
        : error.stack
            .split('\n')
            .filter((line) => /^\s+at /.test(line))
            .join('\n');
  }
  const fields = error as unknown as Record<string, unknown>;
  for (const field of LOGGED_FIELDS) {
    const value = fields[field];
    if (typeof value === 'string' || typeof value === 'number') logged[field] = value;
  }
  if (error.cause !== undefined && depth < MAX_CAUSES) logged.cause = loggedError(error.cause, depth + 1);
  return logged;
}

/**
 * Lines go to stdout in batches: a write per line (a system call each) was the largest single cost
 * of a small request's log line (BENCHMARKS.md). A batch is written once it holds this much…
 */
const LOG_BATCH_BYTES = 4096;
/** …or this often, so a quiet server's lines still appear at once to a person watching. */
const LOG_FLUSH_MS = 200;

/**
 * stdout, batched; whatever a batch holds is written when the process exits (pino's exit hook), a
 * crash included. Anything else the server prints on stdout goes through the same stream, so it
 * comes out in the order it was written.
 */
export const batchedStdout = (): pino.DestinationStream => pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS });

export function createLogger(level: LogLevel, destination: pino.DestinationStream = batchedStdout()): Logger {
  return pino(
    {
      level,
      base: { service: 'algoplane' },
      serializers: { err: loggedError },
      // The audit trail's rule, at any depth. Not pino's `redact`: it clones and walks its paths on
      // every line, a measurable share of a small request (BENCHMARKS.md), where a line without a
      // secret-looking field (nearly all of them) is checked here and passed on as it is.
      formatters: { log: (object) => (holdsSecretField(object) ? (withoutSecretFields(object, '[redacted]') as Record<string, unknown>) : object) },
    },
    destination,
  );
}
