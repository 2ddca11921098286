/**
 * SQL statements per request, counted where they leave the app (drizzle's query log), for the
 * benchmark's queries once the key is verified and cached: the steady state a busy client sees.
 */
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/core/logger.js';
import { createApp } from '../src/app.js';
import { NESTED_LIST, VIEWER, graphqlPost } from './queries.js';

const PAGE_SIZES = [5, 50, 100] as const;

export async function countStatements(url: string, key: string): Promise<{ viewer: number; nested: Record<number, number> }> {
  let statements = 0;
  const app = await createApp(loadConfig({ DATABASE_URL: url, LOG_LEVEL: 'warn', KEY_USAGE_FLUSH_MS: '600000' }), {
    log: createLogger('warn'),
    onQuery: () => statements++,
  });
  const run = async (query: string, variables?: Record<string, unknown>) => {
    statements = 0;
    const response = await app.yoga.fetch(graphqlPost(key, query, variables));
    const text = await response.text();
    if (response.status !== 200 || text.includes('"errors"')) throw new Error(`statement count: ${response.status} ${text.slice(0, 300)}`);
    return statements;
  };
  try {
    await run(VIEWER); // verifies and caches the key
    const viewer = await run(VIEWER);
    // Once first: a caller's first read looks up, once, whether its owners own algorithms (the public pages' cache).
    await run(NESTED_LIST, { first: PAGE_SIZES[0] });
    const nested: Record<number, number> = {};
    for (const first of PAGE_SIZES) nested[first] = await run(NESTED_LIST, { first });
    return { viewer, nested };
  } finally {
    await app.close();
  }
}
