/**
 * A bare database to run the migrations on by hand, statement by statement, for tests of what a
 * migration does to rows written before it: a Postgres database of its own, or PGlite.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import postgres from 'postgres';
import { createTestDatabase, ON_POSTGRES } from './app.js';

const folder = new URL('../../drizzle/', import.meta.url);
const files = readdirSync(folder).filter((file) => file.endsWith('.sql')).sort();
const statementsOf = (file: string) => readFileSync(new URL(file, folder), 'utf8').split('--> statement-breakpoint');

export interface BareDatabase {
  exec(text: string): Promise<unknown>;
  query<T>(text: string): Promise<T[]>;
  /** Runs the migrations before the one whose file ends with `suffix` ('before'), or that one and all after it ('from'). */
  migrate(suffix: string, part: 'before' | 'from'): Promise<void>;
  close(): Promise<void>;
}

export async function bareDatabase(): Promise<BareDatabase> {
  let exec: BareDatabase['exec'];
  let query: BareDatabase['query'];
  let close: BareDatabase['close'];
  const database = ON_POSTGRES ? await createTestDatabase() : undefined;
  if (database?.url) {
    const client = postgres(database.url, { max: 1, onnotice: () => {} });
    exec = (text) => client.unsafe(text);
    query = async <T>(text: string) => (await client.unsafe(text)) as unknown as T[];
    close = async () => {
      await client.end();
      await database.drop();
    };
  } else {
    const pglite = new PGlite();
    exec = (text) => pglite.exec(text);
    query = async <T>(text: string) => (await pglite.query<T>(text)).rows;
    close = () => pglite.close();
  }
  return {
    exec,
    query,
    close,
    async migrate(suffix, part) {
      const at = files.findIndex((file) => file.endsWith(suffix));
      if (at < 0) throw new Error(`no migration ends with ${suffix}`);
      for (const file of part === 'before' ? files.slice(0, at) : files.slice(at)) for (const statement of statementsOf(file)) await exec(statement);
    },
  };
}
