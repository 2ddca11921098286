/**
 * Issue 15, class 4: least-privilege reads (DESIGN §4.3). A browser key restricted to
 * `algo://demos/*` with no other permission (the README's own example) is public once it is in a
 * web page, so it reads no more than it may do: public data and its own key. Private algorithms and
 * versions of its owner and the owner's organizations only with manageAlgorithms or a whitelist
 * that covers them; account data (email, organization contacts and members, other keys) only with
 * manageAccount. Each read is made with the narrow key, which gets null or NOT_FOUND (REST 404), and
 * with the same key given what it lacks, which sees it: through GraphQL and REST alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createUser, startTestApp, type TestApp } from './helpers/app.js';
import { rest } from './helpers/rest.js';

let t: TestApp;
let owner: { username: string; id: string; key: string };
let org: string;
/** Global ids, and the git hashes of the private versions. */
const ids: Record<'secret' | 'orgsecret' | 'mixed', string> = { secret: '', orgsecret: '', mixed: '' };
const hashes = { secret: '', mixedPrivate: '' };
let ownerGlobalId: string;
/** The owner's keys: all with the whitelist `algo://demos/*`, and what each adds to it. */
const keys = { narrow: '', algorithms: '', account: '', covering: '', orgNarrow: '', orgAccount: '' };
let defaultKeyMask: string;

async function mustGql(query: string, key: string, variables?: Record<string, unknown>) {
  const response = await t.gql(query, { key, variables });
  expect(response.body.errors, JSON.stringify(response.body.errors)).toBeUndefined();
  return response.body.data!;
}

async function createKey(input: Record<string, unknown>): Promise<string> {
  const data = await mustGql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { message } } }`, owner.key, {
    input: { algorithmAccess: ['algo://demos/*'], callerOrigin: { allowNativeClients: true, allowBrowser: true }, ...input },
  });
  expect(data.createApiKey.userErrors).toEqual([]);
  return data.createApiKey.secret;
}

async function createAlgorithm(name: string, ownerName?: string): Promise<string> {
  const data = await mustGql(`mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } userErrors { message } } }`, owner.key, {
    input: { name, owner: ownerName, details: { label: name }, settings: { language: 'PYTHON3', environment: 'CPU' } },
  });
  expect(data.createAlgorithm.userErrors).toEqual([]);
  return data.createAlgorithm.algorithm.id;
}

async function publish(id: string, versionType: string, callability: string, releaseNotes: string): Promise<string> {
  const data = await mustGql(
    `mutation($input: PublishAlgorithmInput!) { publishAlgorithm(input: $input) { version { gitHash } userErrors { message } } }`,
    owner.key,
    { input: { id, versionType, callability, releaseNotes } },
  );
  expect(data.publishAlgorithm.userErrors).toEqual([]);
  return data.publishAlgorithm.version.gitHash;
}

beforeAll(async () => {
  t = await startTestApp();
  owner = await createUser(t);
  org = await createOrganization(t, [owner.username]);
  await mustGql(`mutation($input: UpdateOrganizationInput!) { updateOrganization(input: $input) { userErrors { message } } }`, t.adminKey, {
    input: { organization: org, contactName: 'Org Contact', email: 'contact@org.example' },
  });
  // Private, with a private version; the organization's, likewise; public at 1.0.0 and private at 2.0.0.
  ids.secret = await createAlgorithm('secret');
  hashes.secret = await publish(ids.secret, 'MINOR', 'PRIVATE', 'notes of secret');
  ids.orgsecret = await createAlgorithm('orgsecret', org);
  await publish(ids.orgsecret, 'MINOR', 'PRIVATE', 'notes of orgsecret');
  ids.mixed = await createAlgorithm('mixed');
  await publish(ids.mixed, 'MAJOR', 'PUBLIC', 'public notes');
  hashes.mixedPrivate = await publish(ids.mixed, 'MAJOR', 'PRIVATE', 'private notes');

  keys.narrow = await createKey({ name: 'browser' });
  keys.algorithms = await createKey({ name: 'algorithms', manageAlgorithms: true });
  keys.account = await createKey({ name: 'account', manageAccount: true });
  keys.covering = await createKey({ name: 'covering', algorithmAccess: [`algo://${org}/orgsecret`, `algo://${owner.username}/mixed/*`] });
  keys.orgNarrow = await createKey({ name: 'org-browser', owner: org });
  keys.orgAccount = await createKey({ name: 'org-account', owner: org, manageAccount: true });

  const me = await mustGql(`{ viewer { user { id defaultKey { mask } } } }`, owner.key);
  ownerGlobalId = me.viewer.user.id;
  defaultKeyMask = me.viewer.user.defaultKey.mask;
});
afterAll(() => t?.close());

// ---------------------------------------------------------------------------------------------
// GraphQL

interface Probe {
  label: string;
  query: () => string;
  variables?: () => Record<string, unknown>;
  /** The key that has what the narrow key lacks. */
  granted: keyof typeof keys;
  /** What the narrow key gets, and what the granted key gets. */
  hidden: () => unknown;
  seen: () => unknown;
}

const probes: Probe[] = [
  {
    label: 'algorithm(ref:) of its own private algorithm',
    query: () => `{ algorithm(ref: "${owner.username}/secret") { name latestVersion { releaseNotes } } }`,
    granted: 'algorithms',
    hidden: () => ({ algorithm: null }),
    seen: () => ({ algorithm: { name: 'secret', latestVersion: { releaseNotes: 'notes of secret' } } }),
  },
  {
    label: "algorithm(ref:) of its organization's private algorithm",
    query: () => `{ algorithm(ref: "${org}/orgsecret") { name versions { totalCount nodes { releaseNotes } } } }`,
    granted: 'algorithms',
    hidden: () => ({ algorithm: null }),
    seen: () => ({ algorithm: { name: 'orgsecret', versions: { totalCount: 1, nodes: [{ releaseNotes: 'notes of orgsecret' }] } } }),
  },
  {
    label: 'algorithms(owner:) and every list: their items and their totalCount',
    query: () => `{
      mine: algorithms(owner: "${owner.username}") { totalCount nodes { name } }
      ours: algorithms(owner: "${org}") { totalCount nodes { name } }
      all: algorithms(first: 50) { totalCount }
      private: algorithms(callability: PRIVATE) { totalCount }
    }`,
    granted: 'algorithms',
    hidden: () => ({ mine: { totalCount: 1, nodes: [{ name: 'mixed' }] }, ours: { totalCount: 0, nodes: [] }, all: { totalCount: 1 }, private: { totalCount: 0 } }),
    seen: () => ({
      mine: { totalCount: 2, nodes: [{ name: 'secret' }, { name: 'mixed' }] },
      ours: { totalCount: 1, nodes: [{ name: 'orgsecret' }] },
      all: { totalCount: 3 },
      private: { totalCount: 3 },
    }),
  },
  {
    label: 'Owner.algorithms under viewer.owner, organization(name:) and user(username:)',
    query: () => `{
      viewer { owner { algorithms { totalCount } } }
      organization(name: "${org}") { algorithms { totalCount nodes { name } } }
      user(username: "${owner.username}") { algorithms { totalCount } }
    }`,
    granted: 'algorithms',
    hidden: () => ({
      viewer: { owner: { algorithms: { totalCount: 1 } } },
      organization: { algorithms: { totalCount: 0, nodes: [] } },
      user: { algorithms: { totalCount: 1 } },
    }),
    seen: () => ({
      viewer: { owner: { algorithms: { totalCount: 2 } } },
      organization: { algorithms: { totalCount: 1, nodes: [{ name: 'orgsecret' }] } },
      user: { algorithms: { totalCount: 2 } },
    }),
  },
  {
    label: 'the private versions of a public algorithm: latestVersion, versions, version, versionByGitHash, callability',
    query: () => `query($hash: String!) { algorithm(ref: "${owner.username}/mixed") {
      callability
      latestVersion { semanticVersion releaseNotes }
      versions { totalCount nodes { semanticVersion releaseNotes } }
      version(semver: "2.0.0") { releaseNotes }
      versionByGitHash(gitHash: $hash) { semanticVersion }
    } }`,
    variables: () => ({ hash: hashes.mixedPrivate }),
    granted: 'algorithms',
    hidden: () => ({
      algorithm: {
        callability: 'PUBLIC',
        latestVersion: { semanticVersion: '1.0.0', releaseNotes: 'public notes' },
        versions: { totalCount: 1, nodes: [{ semanticVersion: '1.0.0', releaseNotes: 'public notes' }] },
        version: null,
        versionByGitHash: null,
      },
    }),
    seen: () => ({
      algorithm: {
        callability: 'PRIVATE',
        latestVersion: { semanticVersion: '2.0.0', releaseNotes: 'private notes' },
        versions: {
          totalCount: 2,
          nodes: [
            { semanticVersion: '1.0.0', releaseNotes: 'public notes' },
            { semanticVersion: '2.0.0', releaseNotes: 'private notes' },
          ],
        },
        version: { releaseNotes: 'private notes' },
        versionByGitHash: { semanticVersion: '2.0.0' },
      },
    }),
  },
  {
    label: 'node(id:) and nodes(ids:) of private algorithms',
    query: () => `query($a: ID!, $b: ID!) { node(id: $a) { id } nodes(ids: [$a, $b]) { id } }`,
    variables: () => ({ a: ids.secret, b: ids.orgsecret }),
    granted: 'algorithms',
    hidden: () => ({ node: null, nodes: [null, null] }),
    seen: () => ({ node: { id: ids.secret }, nodes: [{ id: ids.secret }, { id: ids.orgsecret }] }),
  },
  {
    label: "a snippet: of the public version, naming no key of the owner's but itself",
    query: () => `{ algorithm(ref: "${owner.username}/mixed") { snippet(language: CURL) } }`,
    granted: 'algorithms',
    hidden: () => ({ algorithm: { snippet: expect.stringMatching(/\/mixed\/1\.0\.0'[\s\S]*YOUR_API_KEY/) } }),
    seen: () => ({ algorithm: { snippet: expect.stringContaining('/mixed/2.0.0') } }),
  },
  {
    label: "a snippet names the owner's default-key only to a key that may read account data",
    query: () => `{ algorithm(ref: "${owner.username}/mixed") { snippet(language: PYTHON) } }`,
    granted: 'account',
    hidden: () => ({ algorithm: { snippet: expect.not.stringContaining(defaultKeyMask) } }),
    seen: () => ({ algorithm: { snippet: expect.stringContaining(defaultKeyMask) } }),
  },
  {
    label: "viewer { user }: the owner's email and memberships",
    query: () => `{ viewer { key { name } user { username email organizations { role organization { name } } } } }`,
    granted: 'account',
    hidden: () => ({ viewer: { key: { name: 'browser' }, user: { username: owner.username, email: null, organizations: null } } }),
    seen: () => ({
      viewer: { key: { name: 'account' }, user: { username: owner.username, email: `${owner.username}@example.com`, organizations: [{ role: 'OWNER', organization: { name: org } }] } },
    }),
  },
  {
    label: 'user(username:) and node(id:) of the owner: email, memberships, default-key',
    query: () => `query($id: ID!) {
      user(username: "${owner.username}") { email organizations { role } defaultKey { mask } }
      node(id: $id) { ... on User { email } }
    }`,
    variables: () => ({ id: ownerGlobalId }),
    granted: 'account',
    hidden: () => ({ user: { email: null, organizations: null, defaultKey: null }, node: { email: null } }),
    seen: () => ({
      user: { email: `${owner.username}@example.com`, organizations: [{ role: 'OWNER' }], defaultKey: { mask: defaultKeyMask } },
      node: { email: `${owner.username}@example.com` },
    }),
  },
  {
    label: 'organization(name:): contacts and members, and through a membership',
    query: () => `{
      organization(name: "${org}") { contactName email members { totalCount nodes { role user { username } } } }
      user(username: "${owner.username}") { organizations { organization { email } } }
    }`,
    granted: 'account',
    hidden: () => ({ organization: { contactName: null, email: null, members: null }, user: { organizations: null } }),
    seen: () => ({
      organization: { contactName: 'Org Contact', email: 'contact@org.example', members: { totalCount: 1, nodes: [{ role: 'OWNER', user: { username: owner.username } }] } },
      user: { organizations: [{ organization: { email: 'contact@org.example' } }] },
    }),
  },
  {
    label: "viewer.owner as an Organization, with the organization's own key",
    query: () => `{ viewer { owner { name ... on Organization { contactName email members { totalCount } } } } }`,
    granted: 'orgAccount',
    hidden: () => ({ viewer: { owner: { name: org, contactName: null, email: null, members: null } } }),
    seen: () => ({ viewer: { owner: { name: org, contactName: 'Org Contact', email: 'contact@org.example', members: { totalCount: 1 } } } }),
  },
];

describe('GraphQL: a narrow key reads null, the same key with the permission reads the data', () => {
  it.each(probes)('$label', async (probe) => {
    const narrow = probe.granted.startsWith('org') ? keys.orgNarrow : keys.narrow;
    expect(await mustGql(probe.query(), narrow, probe.variables?.())).toEqual(probe.hidden());
    expect(await mustGql(probe.query(), keys[probe.granted], probe.variables?.())).toEqual(probe.seen());
  });

  it('a whitelist that covers algo://o/name opens that private algorithm, the organization\'s or the owner\'s, and no other', async () => {
    const read = (key: string) =>
      mustGql(
        `query($hash: String!) {
          orgsecret: algorithm(ref: "${org}/orgsecret") { name latestVersion { releaseNotes } }
          mixed: algorithm(ref: "${owner.username}/mixed") { versionByGitHash(gitHash: $hash) { releaseNotes } }
          secret: algorithm(ref: "${owner.username}/secret") { name }
          mine: algorithms(owner: "${owner.username}") { totalCount nodes { name } }
          latestPrivate: algorithmAccess(ref: "${owner.username}/mixed/latestPrivate") { reason version { semanticVersion } }
          other: algorithmAccess(ref: "${owner.username}/secret/latestPrivate") { reason algorithm { name } }
          nothing: algorithmAccess(ref: "${owner.username}/nothing") { reason algorithm { name } }
        }`,
        key,
        { hash: hashes.mixedPrivate },
      );
    expect(await read(keys.covering)).toEqual({
      orgsecret: { name: 'orgsecret', latestVersion: { releaseNotes: 'notes of orgsecret' } },
      mixed: { versionByGitHash: { releaseNotes: 'private notes' } },
      secret: null,
      mine: { totalCount: 1, nodes: [{ name: 'mixed' }] },
      latestPrivate: { reason: 'ALLOWED', version: { semanticVersion: '2.0.0' } },
      // Outside the whitelist: refused before any lookup, so what exists is not told.
      other: { reason: 'NOT_IN_ACL', algorithm: null },
      nothing: { reason: 'NOT_IN_ACL', algorithm: null },
    });
  });
});

// ---------------------------------------------------------------------------------------------
// REST: the same rule, through the same catalogue

describe('REST: a narrow key gets 404, the same key with manageAlgorithms or a covering whitelist reads it', () => {
  const get = (path: string, key: string) => rest(t, 'GET', path, { key });

  it('GET /v1/algorithms/{u}/{a} of a private algorithm', async () => {
    const path = () => `/v1/algorithms/${owner.username}/secret`;
    const hidden = await get(path(), keys.narrow);
    expect(hidden.status).toBe(404);
    expect(hidden.text).toBe('{"error":"No such algorithm"}');
    expect((await get(path(), keys.algorithms)).status).toBe(200);
    expect((await get(`/v1/algorithms/${org}/orgsecret`, keys.covering)).status).toBe(200);
    expect((await get(path(), keys.covering)).status).toBe(404);
  });

  it('GET /v1/algorithms/{u}/{a} of a public algorithm: as its public version published it', async () => {
    const path = `/v1/algorithms/${owner.username}/mixed`;
    expect((await get(path, keys.narrow)).body).toMatchObject({ settings: { algorithm_callability: 'public' }, version_info: { semantic_version: '1.0.0' } });
    expect((await get(path, keys.algorithms)).body).toMatchObject({ settings: { algorithm_callability: 'private' }, version_info: { semantic_version: '2.0.0' } });
  });

  it('GET …/versions and …/versions/{hash} of a private algorithm, and the private versions of a public one', async () => {
    const notes = (answer: { body: { results: { version_info: { semantic_version: string; release_notes: string } }[] } }) =>
      answer.body.results.map((version) => [version.version_info.semantic_version, version.version_info.release_notes]);
    for (const path of [`/v1/algorithms/${owner.username}/secret/versions`, `/v1/algorithms/${owner.username}/secret/versions/${hashes.secret}`]) {
      const hidden = await get(path, keys.narrow);
      expect(hidden.status, path).toBe(404);
      expect(hidden.body.error.code).toBe(1000);
      expect((await get(path, keys.algorithms)).status, path).toBe(200);
    }
    const versions = `/v1/algorithms/${owner.username}/mixed/versions`;
    expect(notes(await get(versions, keys.narrow))).toEqual([['1.0.0', 'public notes']]);
    expect(notes(await get(versions, keys.algorithms))).toEqual([
      ['2.0.0', 'private notes'],
      ['1.0.0', 'public notes'],
    ]);
    const privateVersion = `${versions}/${hashes.mixedPrivate}`;
    expect((await get(privateVersion, keys.narrow)).status).toBe(404);
    expect((await get(privateVersion, keys.algorithms)).body.version_info.release_notes).toBe('private notes');
    expect((await get(privateVersion, keys.covering)).body.version_info.release_notes).toBe('private notes');
  });

  it("GET /v1/users/{u}/algorithms leaves out what the key may not see, the owner's and its organization's", async () => {
    const names = async (owner: string, key: string) => ((await get(`/v1/users/${owner}/algorithms`, key)).body as { algoname: string }[]).map((a) => a.algoname);
    expect(await names(owner.username, keys.narrow)).toEqual(['mixed']);
    expect(await names(org, keys.narrow)).toEqual([]);
    expect(await names(owner.username, keys.algorithms)).toEqual(['secret', 'mixed']);
    expect(await names(org, keys.covering)).toEqual(['orgsecret']);
  });
});
