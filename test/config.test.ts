import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

describe('configuration', () => {
  it('runs with no configuration at all: embedded database under ./data on port 4000', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toMatch(/\/data$/);
    expect(config.logLevel).toBe('info');
  });

  it('names every bad variable, the rule and the value, one line each', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', LOG_LEVEL: 'loud', RATE_LIMIT_PER_MINUTE: '0', ADMIN_EMAIL: 'nope' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(4);
    expect(problems).toContain('PORT must be a whole number from 0 to 65535 (got "eighty")');
    expect(problems.find((p) => p.startsWith('LOG_LEVEL must be one of'))).toContain('"loud"');
    expect(problems.find((p) => p.startsWith('RATE_LIMIT_PER_MINUTE'))).toContain('from 1 to');
    expect(problems.find((p) => p.startsWith('ADMIN_EMAIL'))).toContain('"nope"');
  });

  it('never echoes a database URL, which may hold a password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' })).toThrowError(
      /DATABASE_URL must be a URL starting with postgres:\/\/ or postgresql:\/\//,
    );
    try {
      loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/x' });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('accepts a Postgres URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/app' }).databaseUrl).toBe(
      'postgres://postgres@127.0.0.1:5432/app',
    );
  });
});
