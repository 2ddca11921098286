/**
 * Versions' git hashes, as Algorithmia's REST API addresses versions by them, and the compile step
 * that mints the next one: through HTTP, as a client sees them. Also the migration that gave the
 * versions published before it a hash each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestApp, type TestApp } from './helpers/app.js';
import { bareDatabase } from './helpers/migrations.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

type Payload = Record<string, any>;
const HEX40 = /^[0-9a-f]{40}$/;

const CREATE = `mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } userErrors { message } } }`;
const COMPILE = `mutation($id: ID!) {
  compileAlgorithm(input: { id: $id }) { algorithm { pendingBuildHash } userErrors { field code message } }
}`;
const PUBLISH = `mutation($input: PublishAlgorithmInput!) {
  publishAlgorithm(input: $input) { algorithm { pendingBuildHash } version { semanticVersion gitHash } userErrors { message } }
}`;

async function createAlgorithm(key: string, name: string): Promise<string> {
  const input = { name, details: { label: name }, settings: { language: 'PYTHON3', environment: 'CPU' } };
  const payload = (await t.gql(CREATE, { key, variables: { input } })).body.data!.createAlgorithm;
  expect(payload.userErrors).toEqual([]);
  return payload.algorithm.id;
}
async function compile(key: string, id: string): Promise<Payload> {
  return (await t.gql(COMPILE, { key, variables: { id } })).body.data!.compileAlgorithm;
}
async function compiledHash(key: string, id: string): Promise<string> {
  const payload = await compile(key, id);
  expect(payload.userErrors).toEqual([]);
  return payload.algorithm.pendingBuildHash;
}
async function publish(key: string, input: Record<string, unknown>): Promise<Payload> {
  const payload = (await t.gql(PUBLISH, { key, variables: { input } })).body.data!.publishAlgorithm;
  expect(payload.userErrors).toEqual([]);
  return payload;
}
/** The version of `ref` with this hash, as `key` finds it (undefined: the algorithm itself is not found). */
async function byHash(key: string, ref: string, gitHash: string): Promise<Payload | null | undefined> {
  const response = await t.gql(`query($ref: String!, $h: String!) { algorithm(ref: $ref) { versionByGitHash(gitHash: $h) { semanticVersion gitHash } } }`, {
    key,
    variables: { ref, h: gitHash },
  });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.algorithm?.versionByGitHash;
}

describe('git hashes', () => {
  it('gives every published version its own 40-hex hash', async () => {
    const owner = await createUser(t);
    const id = await createAlgorithm(owner.key, 'hashed');
    const first = (await publish(owner.key, { id, versionType: 'MINOR' })).version;
    const second = (await publish(owner.key, { id, versionType: 'MINOR' })).version;
    expect(first.gitHash).toMatch(HEX40);
    expect(second.gitHash).toMatch(HEX40);
    expect(second.gitHash).not.toBe(first.gitHash);
    const listed = await t.gql(`query($ref: String!) { algorithm(ref: $ref) { versions { nodes { gitHash } } latestVersion { gitHash } } }`, {
      key: owner.key,
      variables: { ref: `${owner.username}/hashed` },
    });
    expect(listed.body.data!.algorithm).toEqual({
      versions: { nodes: [{ gitHash: first.gitHash }, { gitHash: second.gitHash }] },
      latestVersion: { gitHash: second.gitHash },
    });
  });

  it('publishes the hash a compile minted; compiles before a publish answer the same one, the next compile a new one', async () => {
    const owner = await createUser(t);
    const id = await createAlgorithm(owner.key, 'compiled');
    const pending = await compiledHash(owner.key, id);
    expect(pending).toMatch(HEX40);
    expect(await compiledHash(owner.key, id)).toBe(pending);

    const published = await publish(owner.key, { id, versionType: 'MINOR' });
    expect(published.version).toEqual({ semanticVersion: '0.1.0', gitHash: pending });
    expect(published.algorithm.pendingBuildHash).toBeNull();

    const next = await compiledHash(owner.key, id);
    expect(next).toMatch(HEX40);
    expect(next).not.toBe(pending);
    expect((await publish(owner.key, { id, versionType: 'REVISION' })).version).toEqual({ semanticVersion: '0.1.1', gitHash: next });
    expect(await byHash(owner.key, `${owner.username}/compiled`, pending)).toEqual({ semanticVersion: '0.1.0', gitHash: pending });
  });

  it('finds a version by hash only where the caller sees it, and only on its own algorithm', async () => {
    const owner = await createUser(t);
    const other = await createUser(t);
    const id = await createAlgorithm(owner.key, 'lookup');
    const ref = `${owner.username}/lookup`;
    const hidden = (await publish(owner.key, { id, versionType: 'MINOR' })).version.gitHash;
    const shown = (await publish(owner.key, { id, versionType: 'MAJOR', callability: 'PUBLIC' })).version.gitHash;
    const elsewhere = (await publish(owner.key, { id: await createAlgorithm(owner.key, 'elsewhere'), versionType: 'MINOR' })).version.gitHash;
    const pending = await compiledHash(owner.key, id);

    expect(await byHash(owner.key, ref, hidden)).toEqual({ semanticVersion: '0.1.0', gitHash: hidden });
    expect(await byHash(other.key, ref, hidden)).toBeNull();
    expect(await byHash(other.key, ref, shown)).toEqual({ semanticVersion: '1.0.0', gitHash: shown });
    expect(await byHash(owner.key, ref, elsewhere)).toBeNull();
    expect(await byHash(owner.key, ref, pending)).toBeNull(); // not a version until published
    for (const malformed of [shown.toUpperCase(), shown.slice(1), 'x'.repeat(40), '']) expect(await byHash(owner.key, ref, malformed)).toBeNull();

    // The pending hash is the owner's business only, wherever outsiders read the algorithm.
    const PENDING = `query($ref: String!) { algorithm(ref: $ref) { pendingBuildHash } algorithms(owner: "${owner.username}") { nodes { name pendingBuildHash } } }`;
    const seenBy = async (key: string) => (await t.gql(PENDING, { key, variables: { ref } })).body.data;
    expect(await seenBy(owner.key)).toMatchObject({
      algorithm: { pendingBuildHash: pending },
      algorithms: { nodes: expect.arrayContaining([{ name: 'lookup', pendingBuildHash: pending }]) },
    });
    expect(await seenBy(other.key)).toEqual({
      algorithm: { pendingBuildHash: null },
      algorithms: { nodes: [{ name: 'lookup', pendingBuildHash: null }] },
    });
  });

  it('lets only those who may change an algorithm compile it, with a key that manages algorithms', async () => {
    const owner = await createUser(t);
    const other = await createUser(t);
    const id = await createAlgorithm(owner.key, 'guarded');
    const plain = (
      await t.gql(`mutation { createApiKey(input: { name: "plain", algorithmAccess: ["algo://*"] }) { secret } }`, { key: owner.key })
    ).body.data!.createApiKey.secret;

    const refused = await t.gql(COMPILE, { key: plain, variables: { id } });
    expect(refused.body.errors?.[0]).toMatchObject({
      message: '"compileAlgorithm" needs a key with the manageAlgorithms permission.',
      extensions: { code: 'FORBIDDEN' },
    });
    const adminRefused = await t.gql(COMPILE, { key: t.adminKey, variables: { id } });
    expect(adminRefused.body.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN' } });

    expect((await compile(other.key, id)).userErrors).toEqual([{ field: ['id'], code: 'NOT_FOUND', message: 'id: no such algorithm' }]);
    await publish(owner.key, { id, versionType: 'MAJOR', callability: 'PUBLIC' });
    expect((await compile(other.key, id)).userErrors[0]).toMatchObject({ field: ['id'], code: 'FORBIDDEN' });

    const seen = await t.gql(`query($ref: String!) { algorithm(ref: $ref) { pendingBuildHash } }`, {
      key: owner.key,
      variables: { ref: `${owner.username}/guarded` },
    });
    expect(seen.body.data!.algorithm).toEqual({ pendingBuildHash: null });
  });
});

describe('the migration that added git hashes', () => {
  it('gives each version published before it a distinct 40-hex hash', async () => {
    const db = await bareDatabase();
    try {
      await db.migrate('_version_git_hash.sql', 'before');
      await db.exec(`insert into owners (id, kind, name) values ('00000000-0000-4000-8000-000000000001', 'USER', 'ada')`);
      await db.exec(`insert into algorithms (id, owner_id, name, label) values ('00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', 'old', 'Old')`);
      await db.exec(`insert into algorithm_versions (algorithm_id, major, minor, patch, version_type, callability, details, settings)
        select '00000000-0000-4000-8000-000000000002', 0, n, 0, 'MINOR', 'PRIVATE', '{}', '{}' from generate_series(1, 50) n`);
      await db.migrate('_version_git_hash.sql', 'from');
      const hashes = (await db.query<{ git_hash: string }>('select git_hash from algorithm_versions')).map((row) => row.git_hash);
      expect(hashes).toHaveLength(50);
      for (const hash of hashes) expect(hash).toMatch(HEX40);
      expect(new Set(hashes).size).toBe(50);
      await expect(db.exec(`update algorithms set pending_build_hash = 'not a hash'`)).rejects.toThrow(/algorithms_pending_build_hash_format/);
    } finally {
      await db.close();
    }
  });
});
