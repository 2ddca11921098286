/**
 * The Algorithm Management API as a user drives it over HTTP: the seed's create payload, publishing
 * and versions, visibility to others, organizations, access decisions, snippets and batching.
 */
import { readFileSync } from 'node:fs';
import { buildSchema, getNamedType, isInterfaceType, isLeafType, isNonNullType, isObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createUser, readStatements, startTestApp, uniqueName, type TestApp } from './helpers/app.js';

const SCHEMA = buildSchema(readFileSync(new URL('../schema.graphql', import.meta.url), 'utf8'));

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

type Payload = Record<string, any>;

const ALGORITHM_FIELDS = `id name owner { name } callability
  details { label summary tagline }
  settings { license networkAccess pipelineEnabled sourceVisibility language environment packageSet royaltyMicrocredits algorithmCallability }
  sampleInput`;

const CREATE = `mutation($input: CreateAlgorithmInput!) {
  createAlgorithm(input: $input) { algorithm { ${ALGORITHM_FIELDS} } userErrors { field message code } }
}`;
const UPDATE = `mutation($input: UpdateAlgorithmInput!) {
  updateAlgorithm(input: $input) { algorithm { ${ALGORITHM_FIELDS} } userErrors { field message code } }
}`;
const PUBLISH = `mutation($input: PublishAlgorithmInput!) {
  publishAlgorithm(input: $input) {
    algorithm { callability }
    version { semanticVersion versionType callability releaseNotes sampleInput details { label } settings { language } publishedBy { username } }
    userErrors { field message code }
  }
}`;
const DELETE = `mutation($id: ID!) { deleteAlgorithm(input: { id: $id }) { deletedAlgorithmId userErrors { field message code } } }`;

/** The seed page's POST payload, field for field, as GraphQL input. */
const seedPayload = (name: string) => ({
  name,
  details: { summary: 'Finds the sentiment of text.', label: 'Sentiment Analysis', tagline: 'How does it feel?' },
  settings: {
    license: 'APL',
    networkAccess: 'ISOLATED',
    pipelineEnabled: true,
    sourceVisibility: 'CLOSED',
    language: 'PYTHON3',
    environment: 'CPU',
    packageSet: 'python37',
    royaltyMicrocredits: 0,
  },
  versionInfo: { sampleInput: '"I love it"' },
});

async function create(key: string, input: Record<string, unknown>): Promise<Payload> {
  return (await t.gql(CREATE, { key, variables: { input } })).body.data!.createAlgorithm;
}
async function mustCreate(key: string, input: Record<string, unknown>): Promise<Payload> {
  const payload = await create(key, input);
  expect(payload.userErrors).toEqual([]);
  return payload.algorithm;
}
async function publish(key: string, input: Record<string, unknown>): Promise<Payload> {
  return (await t.gql(PUBLISH, { key, variables: { input } })).body.data!.publishAlgorithm;
}
async function lookup(key: string, ref: string, fields = 'name callability versions { nodes { semanticVersion callability } } latestVersion { semanticVersion }') {
  const response = await t.gql(`query($ref: String!) { algorithm(ref: $ref) { ${fields} } }`, { key, variables: { ref } });
  expect(response.body.errors).toBeUndefined();
  return response.body.data!.algorithm;
}

describe('the seed walkthrough', () => {
  it('creates from the seed payload, publishes 0.1.0 then 0.1.1, and refuses a callability change without MAJOR', async () => {
    const ada = await createUser(t);
    const algorithm = await mustCreate(ada.key, seedPayload('sentiment_analysis'));
    expect(algorithm).toMatchObject({
      name: 'sentiment_analysis',
      owner: { name: ada.username },
      callability: 'PRIVATE',
      details: { label: 'Sentiment Analysis', summary: 'Finds the sentiment of text.', tagline: 'How does it feel?' },
      settings: {
        license: 'APL',
        networkAccess: 'ISOLATED',
        pipelineEnabled: true,
        sourceVisibility: 'CLOSED',
        language: 'PYTHON3',
        environment: 'CPU',
        packageSet: 'python37',
        royaltyMicrocredits: 0,
        algorithmCallability: 'PRIVATE',
      },
      sampleInput: '"I love it"',
    });

    const first = await publish(ada.key, { id: algorithm.id, versionType: 'MINOR', releaseNotes: 'first' });
    expect(first.userErrors).toEqual([]);
    expect(first.version).toEqual({
      semanticVersion: '0.1.0',
      versionType: 'MINOR',
      callability: 'PRIVATE',
      releaseNotes: 'first',
      sampleInput: '"I love it"',
      details: { label: 'Sentiment Analysis' },
      settings: { language: 'PYTHON3' },
      publishedBy: { username: ada.username },
    });
    expect((await publish(ada.key, { id: algorithm.id, versionType: 'REVISION' })).version.semanticVersion).toBe('0.1.1');

    const refused = await publish(ada.key, { id: algorithm.id, versionType: 'MINOR', callability: 'PUBLIC' });
    expect(refused.version).toBeNull();
    expect(refused.userErrors).toEqual([
      {
        field: ['callability'],
        code: 'INVALID',
        message: 'callability: changing it from PRIVATE to PUBLIC needs a MAJOR version (this is MINOR)',
      },
    ]);
    const major = await publish(ada.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PUBLIC' });
    expect(major.version.semanticVersion).toBe('1.0.0');
    expect(major.algorithm.callability).toBe('PUBLIC');
  });

  it('shows another user nothing until a PUBLIC version exists, then only the PUBLIC versions', async () => {
    const owner = await createUser(t);
    const other = await createUser(t);
    const algorithm = await mustCreate(owner.key, seedPayload('shy'));
    const ref = `${owner.username}/shy`;
    await publish(owner.key, { id: algorithm.id, versionType: 'MINOR' });

    expect(await lookup(other.key, ref)).toBeNull();
    expect(await lookup(other.key, `algo://${ref}`)).toBeNull();
    const listed = await t.gql(`query($owner: String) { algorithms(owner: $owner) { totalCount nodes { name } } }`, {
      key: other.key,
      variables: { owner: owner.username },
    });
    expect(listed.body.data!.algorithms).toEqual({ totalCount: 0, nodes: [] });
    const byNode = await t.gql(`query($id: ID!) { node(id: $id) { id } }`, { key: other.key, variables: { id: algorithm.id } });
    expect(byNode.body.data!.node).toBeNull();
    const update = await t.gql(UPDATE, { key: other.key, variables: { input: { id: algorithm.id, details: { label: 'mine' } } } });
    expect(update.body.data!.updateAlgorithm.userErrors).toEqual([{ field: ['id'], code: 'NOT_FOUND', message: 'id: no such algorithm' }]);

    await publish(owner.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PUBLIC' });
    await publish(owner.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PRIVATE' });

    expect(await lookup(other.key, ref)).toEqual({
      name: 'shy',
      callability: 'PUBLIC', // to an outsider: it sees no private version, not even that one exists
      versions: { nodes: [{ semanticVersion: '1.0.0', callability: 'PUBLIC' }] },
      latestVersion: { semanticVersion: '1.0.0' },
    });
    expect(await lookup(owner.key, ref)).toEqual({
      name: 'shy',
      callability: 'PRIVATE',
      versions: {
        nodes: [
          { semanticVersion: '0.1.0', callability: 'PRIVATE' },
          { semanticVersion: '1.0.0', callability: 'PUBLIC' },
          { semanticVersion: '2.0.0', callability: 'PRIVATE' },
        ],
      },
      latestVersion: { semanticVersion: '2.0.0' },
    });
    const foreignUpdate = await t.gql(UPDATE, { key: other.key, variables: { input: { id: algorithm.id, details: { label: 'x' } } } });
    expect(foreignUpdate.body.data!.updateAlgorithm.userErrors[0]).toMatchObject({ code: 'FORBIDDEN', field: ['id'] });
  });

  it('decides access for a whitelisted key, a key whose whitelist misses, and a refused origin', async () => {
    const owner = await createUser(t);
    const algorithm = await mustCreate(owner.key, seedPayload('callme'));
    await publish(owner.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PUBLIC' });
    const caller = await createUser(t);
    const keyFor = async (name: string, input: Record<string, unknown>) =>
      (
        await t.gql(`mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret userErrors { message } } }`, {
          key: caller.key,
          variables: { input: { name, ...input } },
        })
      ).body.data!.createApiKey.secret as string;
    const listed = await keyFor('listed', {
      algorithmAccess: [`algo://${owner.username}/callme`],
      callerOrigin: { allowNativeClients: true, allowBrowser: true, referrerHosts: ['app.example.com'] },
    });
    const unlisted = await keyFor('unlisted', { algorithmAccess: ['algo://somebody_else/*'] });
    const ACCESS = `query($ref: String!, $origin: String) {
      algorithmAccess(ref: $ref, origin: $origin) { allowed reason algorithm { name } version { semanticVersion } }
    }`;
    const decide = async (key: string, ref: string, origin?: string) =>
      (await t.gql(ACCESS, { key, variables: { ref, origin } })).body.data!.algorithmAccess;

    expect(await decide(listed, `${owner.username}/callme`)).toEqual({
      allowed: true,
      reason: 'ALLOWED',
      algorithm: { name: 'callme' },
      version: { semanticVersion: '1.0.0' },
    });
    expect(await decide(unlisted, `${owner.username}/callme`)).toMatchObject({ allowed: false, reason: 'NOT_IN_ACL', algorithm: null });
    expect(await decide(listed, `algo://${owner.username}/callme`, 'https://evil.example.net')).toMatchObject({
      allowed: false,
      reason: 'ORIGIN_NOT_ALLOWED',
    });
    expect(await decide(listed, `${owner.username}/callme`, 'https://app.example.com')).toMatchObject({ allowed: true });
  });
});

describe('access decisions: every reason', () => {
  let owner: { key: string; username: string };
  let other: { key: string };
  beforeAll(async () => {
    owner = await createUser(t);
    other = await createUser(t);
    const mixed = await mustCreate(owner.key, seedPayload('mixed'));
    for (const [versionType, callability] of [
      ['MINOR', 'PRIVATE'], // 0.1.0
      ['MAJOR', 'PUBLIC'], // 1.0.0
      ['MINOR', 'PUBLIC'], // 1.1.0
      ['REVISION', 'PUBLIC'], // 1.1.1
      ['MAJOR', 'PRIVATE'], // 2.0.0
    ]) {
      expect((await publish(owner.key, { id: mixed.id, versionType, callability })).userErrors).toEqual([]);
    }
    await mustCreate(owner.key, seedPayload('unpublished'));
  });

  const cases: [string, 'owner' | 'other', string, string, string | null][] = [
    ['latest (none) is the newest PUBLIC version', 'other', 'mixed', 'ALLOWED', '1.1.1'],
    ['latest, said outright', 'other', 'mixed/latest', 'ALLOWED', '1.1.1'],
    ['latest for the owner is still the newest PUBLIC one', 'owner', 'mixed', 'ALLOWED', '1.1.1'],
    ['latestPrivate for the owner is the newest of all', 'owner', 'mixed/latestPrivate', 'ALLOWED', '2.0.0'],
    ['latestPrivate for others is refused, never resolved to a PUBLIC version', 'other', 'mixed/latestPrivate', 'LATEST_PRIVATE_NOT_ALLOWED', null],
    ['an exact PUBLIC version', 'other', 'mixed/1.0.0', 'ALLOWED', '1.0.0'],
    ['an exact PRIVATE version, for the owner', 'owner', 'mixed/0.1.0', 'ALLOWED', '0.1.0'],
    ['an exact PRIVATE version, for others', 'other', 'mixed/0.1.0', 'VERSION_NOT_FOUND', null],
    ['a version that does not exist', 'owner', 'mixed/9.9.9', 'VERSION_NOT_FOUND', null],
    ['1.* is the newest PUBLIC 1.x', 'other', 'mixed/1.*', 'ALLOWED', '1.1.1'],
    ['1.0.* is the newest PUBLIC 1.0.x', 'other', 'mixed/1.0.*', 'ALLOWED', '1.0.0'],
    ['2.* has no PUBLIC version', 'owner', 'mixed/2.*', 'VERSION_NOT_FOUND', null],
    ['an algorithm without versions, for the owner', 'owner', 'unpublished', 'NO_PUBLIC_VERSION', null],
    ['an algorithm without PUBLIC versions, for others', 'other', 'unpublished', 'NOT_FOUND', null],
    ['an algorithm that does not exist', 'owner', 'nothing_here', 'NOT_FOUND', null],
  ];
  it.each(cases)('%s', async (_label, who, path, reason, version) => {
    const key = who === 'owner' ? owner.key : other.key;
    const decision = (
      await t.gql(`query($ref: String!) { algorithmAccess(ref: $ref) { allowed reason version { semanticVersion } } }`, {
        key,
        variables: { ref: `${owner.username}/${path}` },
      })
    ).body.data!.algorithmAccess;
    expect(decision).toEqual({ allowed: reason === 'ALLOWED', reason, version: version ? { semanticVersion: version } : null });
  });

  it('refuses a reference that is not one, naming the argument', async () => {
    const response = await t.gql(`{ algorithmAccess(ref: "not a ref") { allowed } }`, { key: owner.key });
    expect(response.body.errors?.[0]).toMatchObject({
      message: 'ref: must be owner/name[/version] or algo://owner/name[/version]',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});

describe('creating and updating', () => {
  it('names every broken rule and creates nothing', async () => {
    const user = await createUser(t);
    const cases: [Record<string, unknown>, string[]][] = [
      [{ name: '9bad', details: { label: 'x' }, settings: { packageSet: 'p' } }, ['name']],
      [{ name: 'a', details: { label: '' }, settings: { packageSet: 'p' } }, ['details.label']],
      [{ name: 'a', details: { label: 'x' } }, ['settings.language']],
      [{ name: 'a', details: { label: 'x' }, settings: { language: 'PYTHON3' } }, ['settings.environment']],
      [{ name: 'a', details: { label: 'x' }, settings: { packageSet: 'p', license: 'MIT' } }, ['settings.sourceVisibility']],
      [{ name: 'a', details: { label: 'x' }, settings: { packageSet: 'p', royaltyMicrocredits: -1 } }, ['settings.royaltyMicrocredits']],
    ];
    for (const [input, fields] of cases) {
      const payload = await create(user.key, input);
      expect(payload.algorithm, JSON.stringify(input)).toBeNull();
      expect(payload.userErrors.map((e: Payload) => e.field.join('.')), JSON.stringify(input)).toEqual(fields);
    }
    const mine = await t.gql('query($owner: String) { algorithms(owner: $owner) { totalCount } }', {
      key: user.key,
      variables: { owner: user.username },
    });
    expect(mine.body.data!.algorithms.totalCount).toBe(0);
    const open = await create(user.key, { name: 'open', details: { label: 'x' }, settings: { packageSet: 'p', license: 'MIT', sourceVisibility: 'OPEN' } });
    expect(open.userErrors).toEqual([]);
  });

  it('refuses a name the owner already uses, case-insensitively', async () => {
    const user = await createUser(t);
    await mustCreate(user.key, seedPayload('twin'));
    const again = await create(user.key, seedPayload('TWIN'));
    expect(again.userErrors).toEqual([{ field: ['name'], code: 'TAKEN', message: 'name: this owner already has an algorithm named "TWIN"' }]);
  });

  it('changes only the fields given, and keeps published versions as they were', async () => {
    const user = await createUser(t);
    const algorithm = await mustCreate(user.key, seedPayload('evolving'));
    await publish(user.key, { id: algorithm.id, versionType: 'MAJOR' });
    const updated = await t.gql(UPDATE, {
      key: user.key,
      variables: { input: { id: algorithm.id, details: { tagline: 'New tagline' }, settings: { environment: 'GPU' } } },
    });
    expect(updated.body.data!.updateAlgorithm.userErrors).toEqual([]);
    expect(updated.body.data!.updateAlgorithm.algorithm).toMatchObject({
      details: { label: 'Sentiment Analysis', summary: 'Finds the sentiment of text.', tagline: 'New tagline' },
      settings: { environment: 'GPU', language: 'PYTHON3', packageSet: 'python37' },
    });
    const version = await lookup(user.key, `${user.username}/evolving`, 'version(semver: "1.0.0") { details { tagline } settings { environment } }');
    expect(version.version).toEqual({ details: { tagline: 'How does it feel?' }, settings: { environment: 'CPU' } });

    const broken = await t.gql(UPDATE, { key: user.key, variables: { input: { id: algorithm.id, settings: { license: 'GPL3' } } } });
    expect(broken.body.data!.updateAlgorithm.userErrors.map((e: Payload) => e.field.join('.'))).toEqual(['settings.sourceVisibility']);
  });

  it('needs a key that manages algorithms', async () => {
    const user = await createUser(t);
    const plain = (
      await t.gql(`mutation { createApiKey(input: { name: "plain", algorithmAccess: ["algo://*"] }) { secret } }`, { key: user.key })
    ).body.data!.createApiKey.secret;
    const response = await t.gql(CREATE, { key: plain, variables: { input: seedPayload('nope') } });
    expect(response.body.errors?.[0]).toMatchObject({
      message: '"createAlgorithm" needs a key with the manageAlgorithms permission.',
      extensions: { code: 'FORBIDDEN' },
    });
  });
});

describe('deleting', () => {
  it('deletes a private algorithm, refuses one with a PUBLIC version, which only the admin plane can delete', async () => {
    const user = await createUser(t);
    const privateOne = await mustCreate(user.key, seedPayload('temp'));
    const deleted = await t.gql(DELETE, { key: user.key, variables: { id: privateOne.id } });
    expect(deleted.body.data!.deleteAlgorithm).toEqual({ deletedAlgorithmId: privateOne.id, userErrors: [] });
    expect(await lookup(user.key, `${user.username}/temp`)).toBeNull();

    const published = await mustCreate(user.key, seedPayload('depended_on'));
    await publish(user.key, { id: published.id, versionType: 'MAJOR', callability: 'PUBLIC' });
    const refused = await t.gql(DELETE, { key: user.key, variables: { id: published.id } });
    expect(refused.body.data!.deleteAlgorithm.userErrors[0]).toMatchObject({ code: 'FORBIDDEN', field: ['id'] });

    const admin = await t.gql(`mutation($id: ID!) { adminDeleteAlgorithm(input: { id: $id }) { deletedAlgorithmId userErrors { message } } }`, {
      key: t.adminKey,
      variables: { id: published.id },
    });
    expect(admin.body.data!.adminDeleteAlgorithm).toEqual({ deletedAlgorithmId: published.id, userErrors: [] });
    expect(await lookup(user.key, `${user.username}/depended_on`)).toBeNull();
  });
});

describe('snippets', () => {
  it("name the caller's default-key by its mask, never its secret, or a placeholder without one", async () => {
    const owner = await createUser(t);
    const algorithm = await mustCreate(owner.key, seedPayload('snippy'));
    await publish(owner.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PUBLIC', sampleInput: '{"text": "hi"}' });
    const mask = (await t.gql('{ viewer { key { mask } } }', { key: owner.key })).body.data!.viewer.key.mask;
    const SNIPPETS = `query($ref: String!) { algorithm(ref: $ref) { curl: snippet(language: CURL) python: snippet(language: PYTHON) js: snippet(language: JAVASCRIPT) } }`;
    const snippets = (await t.gql(SNIPPETS, { key: owner.key, variables: { ref: `${owner.username}/snippy` } })).body.data!.algorithm;
    expect(snippets.curl).toBe(
      [
        `curl -X POST 'https://api.algorithmia.com/v1/algo/${owner.username}/snippy/1.0.0' \\`,
        `  -H 'Authorization: Simple ${mask}' \\`,
        `  -H 'Content-Type: application/json' \\`,
        `  -d '{"text": "hi"}'`,
      ].join('\n'),
    );
    expect(snippets.python).toContain(`Algorithmia.client("${mask}"`);
    expect(snippets.js).toContain(`.algo("${owner.username}/snippy/1.0.0")`);
    for (const snippet of Object.values(snippets)) expect(snippet).not.toContain(owner.key);

    // Without a default-key: a placeholder.
    const helper = (
      await t.gql(`mutation { createApiKey(input: { name: "helper", manageAccount: true, algorithmAccess: ["algo://*"] }) { secret } }`, {
        key: owner.key,
      })
    ).body.data!.createApiKey.secret;
    const defaultId = (await t.gql('{ viewer { key { id } } }', { key: owner.key })).body.data!.viewer.key.id;
    const revoked = await t.gql(`mutation($id: ID!) { revokeApiKey(input: { id: $id }) { userErrors { message } } }`, {
      key: owner.key, // a key may revoke itself
      variables: { id: defaultId },
    });
    expect(revoked.body.data!.revokeApiKey.userErrors).toEqual([]);
    const placeholder = (await t.gql(SNIPPETS, { key: helper, variables: { ref: `${owner.username}/snippy` } })).body.data!.algorithm;
    expect(placeholder.curl).toContain('Authorization: Simple YOUR_API_KEY');
  });
});

describe('organizations', () => {
  it('let members create and update, only owners publish PUBLIC or delete, and hide private work from outsiders', async () => {
    const boss = await createUser(t);
    const member = await createUser(t);
    const outsider = await createUser(t);
    const org = await createOrganization(t, [boss.username], [member.username]);

    const algorithm = await mustCreate(member.key, { ...seedPayload('team_algo'), owner: org });
    expect(algorithm.owner).toEqual({ name: org });
    const outsiderCreate = await create(outsider.key, { ...seedPayload('intruder'), owner: org });
    expect(outsiderCreate.userErrors[0]).toMatchObject({ code: 'FORBIDDEN', field: ['owner'] });

    expect((await publish(member.key, { id: algorithm.id, versionType: 'MINOR' })).userErrors).toEqual([]);
    const memberPublic = await publish(member.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PUBLIC' });
    expect(memberPublic.userErrors).toEqual([
      { field: ['callability'], code: 'FORBIDDEN', message: 'callability: only an owner of the organization may publish its algorithms PUBLIC' },
    ]);
    const memberDelete = await t.gql(DELETE, { key: member.key, variables: { id: algorithm.id } });
    expect(memberDelete.body.data!.deleteAlgorithm.userErrors[0]).toMatchObject({ code: 'FORBIDDEN' });

    expect(await lookup(member.key, `${org}/team_algo`)).toMatchObject({ versions: { nodes: [{ semanticVersion: '0.1.0' }] } });
    expect(await lookup(outsider.key, `${org}/team_algo`)).toBeNull();

    expect((await publish(boss.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PUBLIC' })).userErrors).toEqual([]);
    expect(await lookup(outsider.key, `${org}/team_algo`)).toMatchObject({ versions: { nodes: [{ semanticVersion: '1.0.0' }] } });
  });
});

describe('audit and batching', () => {
  it('audits create, update, publish and delete', async () => {
    const user = await createUser(t);
    const algorithm = await mustCreate(user.key, seedPayload('tracked'));
    const updated = await t.gql(UPDATE, { key: user.key, variables: { input: { id: algorithm.id, details: { label: 'Tracked' } } } });
    expect(updated.body.data!.updateAlgorithm.algorithm.details.label).toBe('Tracked');
    await publish(user.key, { id: algorithm.id, versionType: 'MINOR' });
    const deleted = await t.gql(DELETE, { key: user.key, variables: { id: algorithm.id } });
    expect(deleted.body.data!.deleteAlgorithm.userErrors).toEqual([]);
    const trail = await t.gql(`query($target: ID) { admin { auditEvents(targetId: $target) { nodes { action summary actorUser { username } } } } }`, {
      key: t.adminKey,
      variables: { target: algorithm.id },
    });
    const events = trail.body.data!.admin.auditEvents.nodes;
    expect(events.map((e: Payload) => e.action)).toEqual(['ALGORITHM_CREATED', 'ALGORITHM_UPDATED', 'ALGORITHM_PUBLISHED', 'ALGORITHM_DELETED']);
    expect(events[1].summary).toEqual({ changes: { label: { from: 'Sentiment Analysis', to: 'Tracked' } } });
    expect(events[2].summary).toEqual({ version: '0.1.0', versionType: 'MINOR', callability: 'PRIVATE' });
    expect(events.every((e: Payload) => e.actorUser?.username === user.username)).toBe(true);
  });

  it('loads owners and versions in batches: a page of 100 costs the same statements as a page of 10', async () => {
    const publisher = await createUser(t);
    for (let i = 0; i < 12; i++) {
      const algorithm = await mustCreate(publisher.key, seedPayload(`bulk_${i}`));
      for (const versionType of ['MAJOR', 'MINOR', 'REVISION', 'REVISION']) {
        await publish(publisher.key, { id: algorithm.id, versionType, callability: 'PUBLIC' });
      }
    }
    const reader = await createUser(t);
    const PAGE = `query($first: Int!, $owner: String) { algorithms(first: $first, owner: $owner) {
      nodes { name owner { name } latestVersion { semanticVersion } versions(first: 3) { totalCount nodes { semanticVersion } } } } }`;
    const statementsFor = async (first: number) => {
      await t.gql('{ viewer { key { id } } }', { key: reader.key }); // warm the key cache, not the public pages'
      const before = t.queries.length;
      const response = await t.gql(PAGE, { key: reader.key, variables: { first, owner: publisher.username } });
      expect(response.body.errors).toBeUndefined();
      return { statements: readStatements(t.queries.slice(before)).length, nodes: response.body.data!.algorithms.nodes };
    };
    const ten = await statementsFor(10);
    const hundred = await statementsFor(100);
    expect(ten.nodes).toHaveLength(10);
    expect(hundred.nodes).toHaveLength(12);
    expect(hundred.nodes[0]).toEqual({
      name: 'bulk_0',
      owner: { name: publisher.username },
      latestVersion: { semanticVersion: '1.1.2' },
      versions: { totalCount: 4, nodes: [{ semanticVersion: '1.0.0' }, { semanticVersion: '1.1.0' }, { semanticVersion: '1.1.1' }] },
    });
    expect(hundred.statements).toBe(ten.statements);
    // The page, which reads its owners, latest versions and version pages along, and the version
    // totals: 2, whatever the page size.
    expect(ten.statements).toBe(2);
  });

  it("reads Owner.algorithms of a whole page of owners in one statement: 50 users cost what 10 do", async () => {
    const prefix = uniqueName('shelf');
    for (let i = 0; i < 12; i++) {
      const user = await createUser(t, `${prefix}_${i}`);
      for (const name of ['one', 'two', 'three'].slice(0, 1 + (i % 3))) {
        const algorithm = await mustCreate(user.key, seedPayload(name));
        await publish(user.key, { id: algorithm.id, versionType: 'MAJOR', callability: i % 2 ? 'PUBLIC' : 'PRIVATE' });
      }
    }
    const PAGE = `query($first: Int!, $query: String) { admin { users(first: $first, query: $query) { nodes { username
      algorithms(first: 2) { totalCount pageInfo { hasNextPage } nodes { name owner { name } latestVersion { semanticVersion } versions(last: 1) { nodes { semanticVersion } } } }
      public: algorithms(last: 1, callability: PUBLIC) { nodes { name } } } } } }`;
    const statementsFor = async (first: number) => {
      const before = t.queries.length;
      const response = await t.gql(PAGE, { key: t.adminKey, variables: { first, query: prefix } });
      expect(response.body.errors).toBeUndefined();
      return { statements: t.queries.length - before, users: response.body.data!.admin.users.nodes as Payload[] };
    };
    await statementsFor(10); // warm the key cache
    const ten = await statementsFor(10);
    const fifty = await statementsFor(50);
    expect(ten.users).toHaveLength(10);
    expect(fifty.users).toHaveLength(12);
    expect(fifty.statements).toBe(ten.statements);
    // Each owner's page is its own: user i owns 1 + i % 3 algorithms, PUBLIC when i is odd.
    expect(fifty.users.slice(0, 10)).toEqual(ten.users);
    fifty.users.forEach((user, i) => {
      const names = ['one', 'two', 'three'].slice(0, 1 + (i % 3));
      const node = (name: string) => ({
        name,
        owner: { name: user.username },
        latestVersion: { semanticVersion: '1.0.0' },
        versions: { nodes: [{ semanticVersion: '1.0.0' }] },
      });
      expect(user).toEqual({
        username: `${prefix}_${i}`,
        algorithms: { totalCount: names.length, pageInfo: { hasNextPage: names.length > 2 }, nodes: names.slice(0, 2).map(node) },
        public: { nodes: i % 2 ? [{ name: names.at(-1) }] : [] },
      });
    });
  });

  it('reads versions along with a list through fragments, variables and @skip, showing each caller what it may see', async () => {
    const owner = await createUser(t);
    const outsider = await createUser(t);
    const algorithm = await mustCreate(owner.key, seedPayload('read_along'));
    await publish(owner.key, { id: algorithm.id, versionType: 'MINOR', releaseNotes: 'private preview' });
    await publish(owner.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PUBLIC', sampleInput: '"one"' });
    await publish(owner.key, { id: algorithm.id, versionType: 'REVISION', releaseNotes: 'fixes', sampleInput: '"two"' });
    await publish(owner.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PRIVATE' });
    const FIELDS = `name details { label } sampleInput
      latestVersion @skip(if: $skip) { semanticVersion callability releaseNotes details { label } }
      versions(last: $last, callability: $callability) {
        totalCount pageInfo { hasNextPage hasPreviousPage } nodes { semanticVersion callability sampleInput publishedBy { username } } }
      everything: versions { nodes { semanticVersion } }`;
    const LIST = `query($owner: String, $last: Int, $callability: Callability, $skip: Boolean!) {
      algorithms(owner: $owner) { edges { node { ...Fields } } } }
      fragment Fields on Algorithm { ${FIELDS} }`;
    const outside = await t.gql(LIST, { key: outsider.key, variables: { owner: owner.username, last: 1, skip: false } });
    expect(outside.body.data!.algorithms.edges[0].node).toMatchObject({
      sampleInput: '"two"',
      latestVersion: { semanticVersion: '1.0.1', callability: 'PUBLIC', releaseNotes: 'fixes' },
      versions: { totalCount: 2, pageInfo: { hasPreviousPage: true }, nodes: [{ semanticVersion: '1.0.1', publishedBy: null }] },
    });
    const inside = await t.gql(LIST, { key: owner.key, variables: { owner: owner.username, last: 1, skip: false } });
    expect(inside.body.data!.algorithms.edges[0].node).toMatchObject({
      latestVersion: { semanticVersion: '2.0.0', callability: 'PRIVATE' },
      versions: { totalCount: 4, nodes: [{ semanticVersion: '2.0.0', publishedBy: { username: owner.username } }] },
    });
    // Through the fragment and its variables, the versions and the latest version still come with the page.
    const SUMMARIES = `query($owner: String, $last: Int) { algorithms(owner: $owner) { nodes { ...Summaries } } }
      fragment Summaries on Algorithm { latestVersion { semanticVersion } ... on Algorithm { versions(last: $last) { nodes { semanticVersion } } } }`;
    const before = t.queries.length;
    const summaries = await t.gql(SUMMARIES, { key: owner.key, variables: { owner: owner.username, last: 2 } });
    expect(summaries.body.data!.algorithms.nodes).toEqual([
      { latestVersion: { semanticVersion: '2.0.0' }, versions: { nodes: [{ semanticVersion: '1.0.1' }, { semanticVersion: '2.0.0' }] } },
    ]);
    expect(readStatements(t.queries.slice(before))).toHaveLength(1);
  });

  it("answers a listed algorithm's owner from its name only while the request's variables ask for nothing more of it", async () => {
    const owner = await createUser(t);
    const algorithm = await mustCreate(owner.key, seedPayload('owner_variables'));
    await publish(owner.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PUBLIC' });
    // One document; whether it asks for more than the owner's name is up to each request's variables.
    const LIST = `query($owner: String, $full: Boolean!) {
      algorithms(owner: $owner) { nodes { name owner { name ... on User @include(if: $full) { createdAt } } } } }`;
    const ask = async (full: boolean) => {
      const response = await t.gql(LIST, { key: owner.key, variables: { owner: owner.username, full } });
      expect(response.body.errors).toBeUndefined();
      return response.body.data!.algorithms.nodes[0].owner;
    };
    expect(await ask(false)).toEqual({ name: owner.username });
    const full = await ask(true);
    expect(full).toMatchObject({ name: owner.username });
    expect(Date.parse(full.createdAt)).not.toBeNaN();
    expect(await ask(false)).toEqual({ name: owner.username });
  });

  it('answers every field of a listed algorithm as a lookup does, whichever fields a list asks for', async () => {
    // A list reads along only what its client selected (owner, state, versions); anything else
    // must still resolve, and the same: each field alone, and all of them at once.
    const owner = await createUser(t);
    const member = await createUser(t);
    const outsider = await createUser(t);
    const organization = await createOrganization(t, [owner.username], [member.username]);
    for (const [ownerName, name] of [[owner.username, 'mine'], [organization, 'ours']] as const) {
      const algorithm = await mustCreate(owner.key, { ...seedPayload(name), owner: ownerName });
      await publish(owner.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PUBLIC', sampleInput: '"published"', releaseNotes: 'first' });
      await t.gql(UPDATE, { key: owner.key, variables: { input: { id: algorithm.id, details: { label: 'Draft' }, versionInfo: { sampleInput: '"draft"' } } } });
      await publish(owner.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PRIVATE' });
    }
    const fields = everyField('Algorithm', 3);
    // Of an owner, lists read only the name and kind along: a selection of them, and one beyond them.
    const owners = ['owner { name }', 'owner { __typename ... on User { id username } }', 'owner { name ... on User { createdAt } ... on Organization { label } }'];
    for (const key of [owner.key, member.key, outsider.key]) {
      for (const ownerName of [owner.username, organization]) {
        for (const selection of [...fields, ...owners, fields.join(' ')]) {
          // first: 1 (each owner has one): every field at once, nested lists included, costs what the
          // cost model says it may return, and a default page of 20 of it is more than the limit.
          const listed = await t.gql(`query($owner: String) { algorithms(owner: $owner, first: 1) { nodes { ${selection} } } }`, {
            key,
            variables: { owner: ownerName },
          });
          expect(listed.body.errors, selection).toBeUndefined();
          const [node] = listed.body.data!.algorithms.nodes;
          const looked = await t.gql(`query($ref: String!) { algorithm(ref: $ref) { ${selection} } }`, {
            key,
            variables: { ref: `${ownerName}/${ownerName === organization ? 'ours' : 'mine'}` },
          });
          expect(node, selection).toEqual(looked.body.data!.algorithm);
        }
      }
    }
  });
});

/** Arguments for the fields that require some, wherever they appear. */
const REQUIRED_ARGUMENTS: Record<string, string> = { snippet: '(language: CURL)', version: '(semver: "1.0.0")' };

/**
 * A selection of each field of `typeName`, `depth` levels deep, from schema.graphql. Connections are
 * followed only on `typeName` itself: nested ones would multiply past the query cost limit.
 */
function everyField(typeName: string, depth: number, connections = true): string[] {
  const type = SCHEMA.getType(typeName);
  if (!(isObjectType(type) || isInterfaceType(type))) return [];
  return Object.values(type.getFields()).flatMap((field) => {
    const required = field.args.some((arg) => isNonNullType(arg.type));
    const named = getNamedType(field.type);
    if ((required && !REQUIRED_ARGUMENTS[field.name]) || (!connections && named.name.endsWith('Connection'))) return [];
    const call = `${field.name}${required ? REQUIRED_ARGUMENTS[field.name] : ''}`;
    if (isLeafType(named)) return [call];
    const inner = depth > 1 ? everyField(named.name, depth - 1, named.name.endsWith('Connection')) : [];
    const possible =
      depth > 1 && isInterfaceType(named)
        ? SCHEMA.getPossibleTypes(named).map((each) => `... on ${each.name} { ${everyField(each.name, depth - 1, false).join(' ')} }`)
        : [];
    return [`${call} { __typename ${[...inner, ...possible].join(' ')} }`];
  });
}

describe('what outsiders may know', () => {
  it('shows them the algorithm as its newest PUBLIC version published it: no drafts, no private versions', async () => {
    const owner = await createUser(t);
    const other = await createUser(t);
    const algorithm = await mustCreate(owner.key, seedPayload('drafty'));
    await publish(owner.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PUBLIC', sampleInput: '"public sample"' });
    await publish(owner.key, { id: algorithm.id, versionType: 'MAJOR', callability: 'PRIVATE' });
    await t.gql(UPDATE, {
      key: owner.key,
      variables: { input: { id: algorithm.id, details: { label: 'Unreleased draft' }, versionInfo: { sampleInput: '"draft"' } } },
    });
    const FIELDS = 'callability details { label } settings { algorithmCallability } sampleInput snippet(language: CURL) latestVersion { semanticVersion publishedBy { username } }';
    const outside = await lookup(other.key, `${owner.username}/drafty`, FIELDS);
    expect(outside).toMatchObject({
      callability: 'PUBLIC',
      details: { label: 'Sentiment Analysis' },
      settings: { algorithmCallability: 'PUBLIC' },
      sampleInput: '"public sample"',
      latestVersion: { semanticVersion: '1.0.0', publishedBy: null },
    });
    expect(JSON.stringify(outside)).not.toMatch(/Unreleased draft|\\"draft\\"|2\.0\.0|PRIVATE/);
    const inside = await lookup(owner.key, `${owner.username}/drafty`, FIELDS);
    expect(inside).toMatchObject({
      callability: 'PRIVATE',
      details: { label: 'Unreleased draft' },
      sampleInput: '"draft"',
      latestVersion: { semanticVersion: '2.0.0', publishedBy: { username: owner.username } },
    });

    const filtered = async (key: string, callability: string) =>
      (
        await t.gql(`query($owner: String, $c: Callability) { algorithms(owner: $owner, callability: $c) { totalCount } }`, {
          key,
          variables: { owner: owner.username, c: callability },
        })
      ).body.data!.algorithms.totalCount;
    expect(await filtered(other.key, 'PRIVATE')).toBe(0);
    expect(await filtered(other.key, 'PUBLIC')).toBe(1);
    expect(await filtered(owner.key, 'PRIVATE')).toBe(1);
    expect(await filtered(owner.key, 'PUBLIC')).toBe(0);

    const exact = async (key: string, semver: string) =>
      (await lookup(key, `${owner.username}/drafty`, `version(semver: "${semver}") { semanticVersion }`)).version;
    expect(await exact(other.key, '2.0.0')).toBeNull();
    expect(await exact(owner.key, '2.0.0')).toEqual({ semanticVersion: '2.0.0' });
    expect(await exact(owner.key, '02.0.0')).toBeNull();
  });
});

describe('version pages', () => {
  it('page forwards and backwards with cursors, with totals even on an empty page', async () => {
    const owner = await createUser(t);
    const algorithm = await mustCreate(owner.key, seedPayload('paged'));
    for (let i = 0; i < 3; i++) await publish(owner.key, { id: algorithm.id, versionType: 'REVISION' });
    const PAGE = `query($ref: String!, $first: Int, $after: String, $last: Int, $before: String) { algorithm(ref: $ref) {
      versions(first: $first, after: $after, last: $last, before: $before) {
        totalCount nodes { semanticVersion } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`;
    const page = async (variables: Record<string, unknown>) =>
      (await t.gql(PAGE, { key: owner.key, variables: { ref: `${owner.username}/paged`, ...variables } })).body.data!.algorithm.versions;
    const first = await page({ first: 2 });
    expect(first.nodes.map((n: Payload) => n.semanticVersion)).toEqual(['0.0.1', '0.0.2']);
    expect(first.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    const second = await page({ first: 2, after: first.pageInfo.endCursor });
    expect(second.nodes.map((n: Payload) => n.semanticVersion)).toEqual(['0.0.3']);
    expect(second.pageInfo.hasNextPage).toBe(false);
    const beyond = await page({ first: 2, after: second.pageInfo.endCursor });
    expect(beyond).toMatchObject({ totalCount: 3, nodes: [] });
    const last = await page({ last: 2 });
    expect(last.nodes.map((n: Payload) => n.semanticVersion)).toEqual(['0.0.2', '0.0.3']);
    expect(last.pageInfo.hasPreviousPage).toBe(true);
  });

  it('refuses a cursor that was not made here, without reaching the database', async () => {
    const user = await createUser(t);
    const forged = Buffer.from(JSON.stringify(['+010000-01-01T00:00:00.000Z', '00000000-0000-0000-0000-000000000000'])).toString('base64url');
    const response = await t.gql(`query($after: String) { algorithms(after: $after) { totalCount } }`, { key: user.key, variables: { after: forged } });
    expect(response.body.errors?.[0]).toMatchObject({ message: 'after: not a cursor returned by this list', extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('organization members and owners, further', () => {
  it('lets a member update an organization algorithm and an owner delete it', async () => {
    const boss = await createUser(t);
    const member = await createUser(t);
    const org = await createOrganization(t, [boss.username], [member.username]);
    const algorithm = await mustCreate(boss.key, { ...seedPayload('shared'), owner: org });
    const updated = await t.gql(UPDATE, { key: member.key, variables: { input: { id: algorithm.id, details: { tagline: 'by a member' } } } });
    expect(updated.body.data!.updateAlgorithm.userErrors).toEqual([]);
    const deleted = await t.gql(DELETE, { key: boss.key, variables: { id: algorithm.id } });
    expect(deleted.body.data!.deleteAlgorithm.userErrors).toEqual([]);
  });
});
