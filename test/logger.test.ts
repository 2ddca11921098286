/** The log's last guard: a secret-looking field is censored wherever it sits in a line, and nothing else is touched. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/core/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger('info', destination), lines };
}

describe('log redaction', () => {
  it('censors secret-looking fields at any depth, in objects and arrays', () => {
    const { log, lines } = capture();
    log.info(
      {
        authorization: 'Simple simSECRET',
        request: { headers: { authorization: 'Bearer simSECRET', accept: 'application/json' } },
        keys: [{ name: 'ci', secret: 'simSECRET' }],
        config: { databaseUrl: 'postgres://user:pw@db/algoplane', port: 8080 },
        previousSecretValidUntil: '2026-12-01T00:00:00.000Z',
      },
      'something happened',
    );
    expect(JSON.stringify(lines)).not.toContain('SECRET');
    expect(JSON.stringify(lines)).not.toContain(':pw@');
    expect(lines[0]).toMatchObject({
      msg: 'something happened',
      authorization: '[redacted]',
      request: { headers: { authorization: '[redacted]', accept: 'application/json' } },
      keys: [{ name: 'ci', secret: '[redacted]' }],
      config: { databaseUrl: '[redacted]', port: 8080 },
      // A time about a secret is no secret.
      previousSecretValidUntil: '2026-12-01T00:00:00.000Z',
    });
  });

  it('passes a line without such fields as it is', () => {
    const { log, lines } = capture();
    log.info({ requestId: 'r1', path: '/graphql', status: 200, nested: { ok: [1, 2] } }, 'request');
    expect(lines[0]).toMatchObject({ requestId: 'r1', path: '/graphql', status: 200, nested: { ok: [1, 2] }, msg: 'request' });
  });
});
