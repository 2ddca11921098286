import path from 'node:path';
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

  it('keeps DATA_DIR=memory:// as it is (an in-memory database), not as a folder named "memory:"', () => {
    expect(loadConfig({ DATA_DIR: 'memory://' }).dataDir).toBe('memory://');
    expect(loadConfig({ DATA_DIR: 'relative/dir' }).dataDir).toBe(path.resolve('relative/dir'));
    expect(() => loadConfig({ DATA_DIR: 'file:///var/lib/algoplane' })).toThrowError(
      'DATA_DIR must be a directory, or memory:// for a throwaway database kept in memory (got "file:///var/lib/algoplane")',
    );
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

  it('serves no metrics unless METRICS_PORT is set, and then on a second listener bound to 127.0.0.1', () => {
    expect(loadConfig({}).metricsPort).toBeUndefined();
    const config = loadConfig({ METRICS_PORT: '9464' });
    expect(config.metricsPort).toBe(9464);
    expect(config.metricsHost).toBe('127.0.0.1');
    expect(loadConfig({ METRICS_PORT: '9464', METRICS_HOST: '0.0.0.0' }).metricsHost).toBe('0.0.0.0');
  });

  it('refuses a bad METRICS_PORT, and one that is the public port, with one line each', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ METRICS_PORT: 'prometheus' })).toEqual(['METRICS_PORT must be a whole number from 0 to 65535 (got "prometheus")']);
    expect(problems({ METRICS_PORT: '70000' })).toEqual(['METRICS_PORT must be a whole number from 0 to 65535 (got "70000")']);
    expect(problems({ PORT: '8080', METRICS_PORT: '8080' })).toEqual([
      'METRICS_PORT must differ from PORT (both 8080): /metrics is never served on the public port',
    ]);
    expect(problems({ METRICS_PORT: '4000' })).toHaveLength(1);
  });

  it('refuses REDIS_URL without DATABASE_URL in one line naming both: several instances must share one Postgres', () => {
    let error: unknown;
    try {
      loadConfig({ REDIS_URL: 'redis://:hunter2@127.0.0.1:6379' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([expect.stringMatching(/^REDIS_URL is set but DATABASE_URL is not: .*one Postgres database/)]);
    expect((error as ConfigError).message).not.toContain('hunter2');
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/app' }).redisUrl).toBe(
      'redis://127.0.0.1:6379',
    );
  });

  it('accepts a Postgres URL', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/app' }).databaseUrl).toBe(
      'postgres://postgres@127.0.0.1:5432/app',
    );
  });
});
