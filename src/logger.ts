/**
 * Structured JSON logs. Redaction is a second line of defence: no code path should hand a secret to
 * the logger in the first place.
 */
import { pino, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger };

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
