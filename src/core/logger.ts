/**
 * Structured JSON logs. Redaction is a second line of defence: no code path should hand a secret to
 * the logger in the first place.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'algoplane' },
      redact: {
        paths: ['authorization', '*.authorization', 'headers.authorization', 'secret', '*.secret', 'databaseUrl'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}
