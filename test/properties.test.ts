/**
 * Random and boundary input to the mutations: every answer is a success or user errors, never a
 * 500, and a refused change leaves every table exactly as it was (no partial writes).
 */
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../src/db/connect.js';
import { createUser, startTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
let user: { key: string; username: string };
beforeAll(async () => {
  t = await startTestApp();
  user = await createUser(t);
});
afterAll(() => t?.close());

const TABLES = ['owners', 'users', 'organizations', 'organization_members', 'api_keys', 'api_key_secrets', 'algorithms', 'algorithm_versions', 'audit_events'];

async function counts(): Promise<Record<string, number>> {
  const [row] = await rows<Record<string, number>>(
    t.app.database.db,
    sql.raw(`select ${TABLES.map((table) => `(select count(*)::int from ${table}) as ${table}`).join(', ')}`),
  );
  return row!;
}

/** Strings a careless or hostile client might send: arbitrary, empty, at and past limits, odd characters. */
const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('', ' ', 'a', 'a'.repeat(30), 'a'.repeat(31), 'A_b9', "' OR 1=1--", '$1', 'x@y.z', 'algo://*', '*.example.com'),
);
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

async function checkMutation(document: string, key: string, input: unknown, payloadField: string) {
  const before = await counts();
  const response = await t.gql(document, { key, variables: { input } });
  expect(response.status).toBeLessThan(500);
  expect(JSON.stringify(response.body)).not.toContain('INTERNAL_SERVER_ERROR');
  const payload = response.body.data?.[payloadField] as { userErrors?: unknown[] } | undefined;
  if (!payload || (payload.userErrors?.length ?? 0) > 0) expect(await counts()).toEqual(before);
}

describe('mutations under random input', () => {
  it('createUser', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ username: text, email: text, fullName: maybe(text), companyName: maybe(text), isAdmin: maybe(fc.boolean()) }),
        (input) =>
          checkMutation(
            'mutation($input: CreateUserInput!) { createUser(input: $input) { user { id } userErrors { code } } }',
            t.adminKey,
            input,
            'createUser',
          ),
      ),
      { numRuns: 40 },
    );
  });

  it('createApiKey', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          name: text,
          algorithmAccess: maybe(fc.array(text, { maxLength: 4 })),
          manageAccount: maybe(fc.boolean()),
          dataAccess: maybe(fc.constantFrom('NONE', 'READ', 'READ_WRITE')),
          callerOrigin: maybe(fc.record({ allowBrowser: maybe(fc.boolean()), referrerHosts: maybe(fc.array(text, { maxLength: 3 })) })),
          expiresAt: maybe(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString())),
        }),
        (input) =>
          checkMutation(
            'mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } userErrors { code } } }',
            user.key,
            input,
            'createApiKey',
          ),
      ),
      { numRuns: 40 },
    );
  });

  it('createAlgorithm', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          name: text,
          details: fc.record({ label: text, summary: maybe(text), tagline: maybe(text) }),
          settings: maybe(
            fc.record({
              license: maybe(fc.constantFrom('APL', 'APACHE2', 'GPL3', 'MIT')),
              sourceVisibility: maybe(fc.constantFrom('OPEN', 'CLOSED')),
              language: maybe(fc.constantFrom('PYTHON3', 'RUST', 'R')),
              environment: maybe(fc.constantFrom('CPU', 'GPU')),
              packageSet: maybe(text),
              royaltyMicrocredits: maybe(fc.integer({ min: -5, max: 2_000_000_000 })),
            }),
          ),
        }),
        (input) =>
          checkMutation(
            'mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } userErrors { code } } }',
            user.key,
            input,
            'createAlgorithm',
          ),
      ),
      { numRuns: 40 },
    );
  });

  it('createOrganization', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          name: text,
          label: text,
          email: maybe(text),
          url: maybe(fc.oneof(text, fc.webUrl())),
          owners: fc.array(fc.oneof(text, fc.constant(user.username)), { maxLength: 3 }),
        }),
        (input) =>
          checkMutation(
            'mutation($input: CreateOrganizationInput!) { createOrganization(input: $input) { organization { id } userErrors { code } } }',
            t.adminKey,
            input,
            'createOrganization',
          ),
      ),
      { numRuns: 40 },
    );
  });
});
