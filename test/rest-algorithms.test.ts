/**
 * Algorithms through Algorithmia's REST API, as its users and official clients drive it: the
 * seed's create call, compile and publish, versions by page and by git hash, delete, and the same
 * rules and visibility as GraphQL.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createUser, startTestApp, uniqueName, type TestApp } from './helpers/app.js';
import { rest } from './helpers/rest.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const GIT_HASH = /^[0-9a-f]{40}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The seed page's payload, each `<type>` placeholder given a value of its type. */
const seedBody = (name: string) => ({
  details: { summary: 'Finds the sentiment of text.', label: 'Sentiment Analysis', tagline: 'How does it feel?' },
  name,
  settings: {
    license: 'apl',
    network_access: 'isolated',
    pipeline_enabled: true,
    source_visibility: 'closed',
    language: 'python3-1',
    environment: 'cpu',
    package_set: 'python37',
    royalty_microcredits: 0,
  },
  version_info: { sample_input: '"I love it"' },
});

async function created(key: string, owner: string, name: string): Promise<any> {
  const answer = await rest(t, 'POST', `/v1/algorithms/${owner}`, { key, body: seedBody(name) });
  expect(answer.status, answer.text).toBe(201);
  return answer.body;
}

async function standardKey(ownerKey: string, permissions: string): Promise<string> {
  const answer = await t.gql(`mutation { createApiKey(input: { name: "${uniqueName('k')}", ${permissions} }) { secret userErrors { message } } }`, {
    key: ownerKey,
  });
  expect(answer.body.data?.createApiKey?.userErrors).toEqual([]);
  return answer.body.data!.createApiKey.secret;
}

describe("the seed's create call", () => {
  it('answers 201 with the algorithm, its UUID, and every setting in Algorithmia spelling', async () => {
    const ada = await createUser(t);
    // As the seed sends it: the bare key, the payload as a JSON string.
    const answer = await rest(t, 'POST', `/v1/algorithms/${ada.username}`, {
      headers: { Authorization: ada.key, 'Content-Type': 'application/json' },
      body: JSON.stringify(seedBody('sentiment')),
    });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body).toEqual({
      id: expect.stringMatching(UUID),
      name: 'sentiment',
      details: { label: 'Sentiment Analysis', summary: 'Finds the sentiment of text.', tagline: 'How does it feel?' },
      settings: {
        algorithm_callability: 'private',
        source_visibility: 'closed',
        license: 'apl',
        network_access: 'isolated',
        pipeline_enabled: true,
        royalty_microcredits: 0,
        language: 'python3-1',
        environment: 'cpu',
        package_set: 'python37',
      },
      source: { scm: { id: 'internal', provider: 'internal', default: true, enabled: true } },
      self_link: `http://localhost/v1/algorithms/${ada.username}/sentiment`,
      resource_type: 'algorithm',
    });
    // The same algorithm GraphQL sees.
    const seen = await t.gql(`query($ref: String!) { algorithm(ref: $ref) { name settings { language } sampleInput } }`, {
      key: ada.key,
      variables: { ref: `${ada.username}/sentiment` },
    });
    expect(seen.body.data!.algorithm).toEqual({ name: 'sentiment', settings: { language: 'PYTHON3' }, sampleInput: '"I love it"' });
  });

  const python = spawnSync('python3', ['-c', 'import requests'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!python)("runs as the seed's Python `requests` code, with only the host and the key changed", async () => {
    const ada = await createUser(t);
    const port = await t.app.listen(0, '127.0.0.1');
    try {
      // The seed's script: its payload given values for its placeholders (a raw triple-quoted string,
      // as the seed's one-line quotes around several lines are not valid Python).
      const script = `
import requests
url = 'http://127.0.0.1:${port}/v1/algorithms/${ada.username}'
headers = {
  'Authorization': '${ada.key}',
  'Content-Type': 'application/json'
}
payload = r'''${JSON.stringify(seedBody('from_python'), null, 4)}'''
response = requests.request('POST', url, headers = headers, data = payload)
print(response.status_code, response.reason)
print(response.text)
`;
      // Not spawnSync: the server answering it runs in this process.
      const run = await promisify(execFile)('python3', ['-c', script], { encoding: 'utf8', timeout: 30_000 });
      const [status, text] = run.stdout.split('\n');
      expect(status, run.stdout).toBe('201 Created');
      expect(JSON.parse(text!)).toMatchObject({ name: 'from_python', resource_type: 'algorithm', settings: { language: 'python3-1' } });
    } finally {
      await new Promise((resolve) => t.app.server!.close(resolve));
    }
  });
});

describe('the management sequence of the official clients', () => {
  it('creates, gets, compiles, publishes 0.1.0 then 0.1.1, lists, reads by hash, deletes (204), then 404s', async () => {
    const ada = await createUser(t);
    const algorithm = await created(ada.key, ada.username, 'sequence');
    const path = `/v1/algorithms/${ada.username}/sequence`;

    // Node's client asks with Accept: application/octet-stream and a stale Content-Type: JSON all the same.
    const fetched = await rest(t, 'GET', path, { key: `Simple ${ada.key}`, headers: { accept: 'application/octet-stream', 'content-type': 'application/json' } });
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toMatch(/^application\/json/);
    expect(fetched.body).toMatchObject({ id: algorithm.id, name: 'sequence', version_info: { semantic_version: null, git_hash: null }, build: null });

    // Java compiles with no body at all.
    const compiled = await rest(t, 'POST', `${path}/compile`, { key: `Simple ${ada.key}` });
    expect(compiled.status).toBe(200);
    const hash = compiled.body.version_info.git_hash;
    expect(hash).toMatch(GIT_HASH);
    expect(compiled.body.compilation).toEqual({ successful: true, output: '' });
    expect(compiled.body.build).toMatchObject({ status: 'succeeded', commit_sha: hash, resource_type: 'algorithm_build' });
    expect((await rest(t, 'POST', `${path}/compile`, { key: ada.key, body: {} })).body.version_info.git_hash).toBe(hash);

    // Python publishes on /versions with everything it has; an empty version_type means minor.
    const first = await rest(t, 'POST', `${path}/versions`, {
      key: ada.key,
      body: {
        details: { label: 'Sequence, published' },
        settings: { algorithm_callability: 'private' },
        version_info: { release_notes: 'first', sample_input: '"hi"' },
        source: {},
        scmsCredentials: {},
      },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id: algorithm.id,
      resource_type: 'algorithm',
      version_info: { semantic_version: '0.1.0', git_hash: hash, release_notes: 'first', sample_input: '"hi"', version_uuid: expect.stringMatching(UUID) },
      details: { label: 'Sequence, published' },
      settings: { algorithm_callability: 'private' },
      self_link: `http://localhost${path}/versions/${hash}`,
    });

    // Node publishes on /version, a revision.
    const second = await rest(t, 'POST', `${path}/version`, {
      key: `Simple ${ada.key}`,
      body: { settings: { algorithm_callability: 'private', insights_enabled: false, royalty_microcredits: 0 }, version_info: { version_type: 'revision' } },
    });
    expect(second.status).toBe(200);
    expect(second.body.version_info.semantic_version).toBe('0.1.1');
    expect(second.body.version_info.git_hash).toMatch(GIT_HASH);
    expect(second.body.version_info.git_hash).not.toBe(hash);

    const listed = await rest(t, 'GET', `${path}/versions`, { key: ada.key });
    expect(listed.status).toBe(200);
    expect(listed.body.marker).toBeNull();
    expect(listed.body.next_link).toBeNull();
    expect(listed.body.results.map((v: any) => v.version_info.semantic_version)).toEqual(['0.1.1', '0.1.0']);
    expect(listed.body.results[0].resource_type).toBe('algorithm');

    const byHash = await rest(t, 'GET', `${path}/versions/${hash}`, { key: ada.key });
    expect(byHash.status).toBe(200);
    expect(byHash.body.version_info).toMatchObject({ semantic_version: '0.1.0', git_hash: hash });
    const noHash = await rest(t, 'GET', `${path}/versions/${'0'.repeat(40)}`, { key: ada.key });
    expect(noHash.status).toBe(404);
    expect(noHash.body.error).toMatchObject({ code: 1014, id: noHash.headers.get('x-request-id') });

    // GET now shows the latest version; the next compile names a new hash.
    const now = await rest(t, 'GET', path, { key: ada.key });
    expect(now.body.version_info).toMatchObject({ semantic_version: '0.1.1', git_hash: second.body.version_info.git_hash });
    const recompiled = await rest(t, 'POST', `${path}/compile`, { key: ada.key, body: {} });
    expect([hash, second.body.version_info.git_hash]).not.toContain(recompiled.body.version_info.git_hash);

    const deleted = await t.fetch(path, { method: 'DELETE', headers: { authorization: `Simple ${ada.key}` } });
    expect(deleted.status).toBe(204);
    // Python's client takes a delete as done only when the reason phrase says so.
    expect(deleted.statusText).toBe('No Content');
    expect(await deleted.text()).toBe('');

    const gone = await rest(t, 'GET', path, { key: ada.key });
    expect(gone.status).toBe(404);
    expect(gone.text).toBe('{"error":"No such algorithm"}');
    const again = await rest(t, 'DELETE', path, { key: ada.key });
    expect(again.status).toBe(404);
    expect(again.body.error).toMatchObject({ code: 1000, message: 'The requested algorithm was not found.' });
  });
});

describe('versions', () => {
  it('pages newest first with marker and next_link until both are null, and refuses bad limits and markers', async () => {
    const ada = await createUser(t);
    await created(ada.key, ada.username, 'paged');
    const path = `/v1/algorithms/${ada.username}/paged`;
    for (let i = 0; i < 5; i += 1) {
      expect((await rest(t, 'POST', `${path}/versions`, { key: ada.key, body: { version_info: { version_type: 'revision' } } })).status).toBe(200);
    }
    const seen: string[] = [];
    let next: string | null = `${path}/versions?limit=2`;
    let pages = 0;
    while (next) {
      const page: any = await rest(t, 'GET', next.replace('http://localhost', ''), { key: ada.key });
      expect(page.status).toBe(200);
      seen.push(...page.body.results.map((v: any) => v.version_info.semantic_version));
      expect(page.body.marker === null).toBe(page.body.next_link === null);
      if (page.body.marker) expect(page.body.next_link).toContain(`marker=${encodeURIComponent(page.body.marker)}`);
      next = page.body.next_link;
      pages += 1;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(['0.0.5', '0.0.4', '0.0.3', '0.0.2', '0.0.1']);

    for (const limit of ['0', '101', '-1', 'ten']) {
      const refused = await rest(t, 'GET', `${path}/versions?limit=${limit}`, { key: ada.key });
      expect(refused.status).toBe(400);
      expect(refused.body.error.code).toBe(5003);
    }
    const badMarker = await rest(t, 'GET', `${path}/versions?marker=not-a-marker`, { key: ada.key });
    expect(badMarker.status).toBe(400);
    expect(badMarker.body.error).toMatchObject({ code: 5002, message: 'Invalid marker used.' });
  });

  it('filters by callable, and shows others only public versions; a private hash is not found for them', async () => {
    const owner = await createUser(t);
    const other = await createUser(t);
    await created(owner.key, owner.username, 'mixed');
    const path = `/v1/algorithms/${owner.username}/mixed`;
    const hidden = await rest(t, 'POST', `${path}/versions`, { key: owner.key, body: {} });
    expect((await rest(t, 'GET', path, { key: other.key })).text).toBe('{"error":"No such algorithm"}');
    const shown = await rest(t, 'POST', `${path}/versions`, {
      key: owner.key,
      body: { settings: { algorithm_callability: 'public' }, version_info: { version_type: 'major' } },
    });
    expect(shown.body.version_info.semantic_version).toBe('1.0.0');

    const semvers = async (key: string, query: string) =>
      (await rest(t, 'GET', `${path}/versions${query}`, { key })).body.results.map((v: any) => v.version_info.semantic_version);
    expect(await semvers(owner.key, '')).toEqual(['1.0.0', '0.1.0']);
    expect(await semvers(owner.key, '?callable=true')).toEqual(['1.0.0']);
    expect(await semvers(owner.key, '?callable=false')).toEqual(['0.1.0']);
    expect(await semvers(owner.key, '?callable=True')).toEqual(['1.0.0']);
    expect((await rest(t, 'GET', `${path}/versions?callable=maybe`, { key: owner.key })).body.error).toMatchObject({ code: 6001, message: expect.stringMatching(/^callable: /) });
    expect(await semvers(owner.key, '?callable=false&limit=50&published=true')).toEqual(['0.1.0']);
    expect(await semvers(owner.key, '?published=false')).toEqual([]);
    expect(await semvers(other.key, '')).toEqual(['1.0.0']);

    const outsider = await rest(t, 'GET', `${path}/versions/${hidden.body.version_info.git_hash}`, { key: other.key });
    expect(outsider.status).toBe(404);
    expect(outsider.body.error.code).toBe(1014);
    // What an outsider sees of the algorithm is its public version, not its draft.
    expect((await rest(t, 'GET', path, { key: other.key })).body).toMatchObject({ settings: { algorithm_callability: 'public' }, version_info: { semantic_version: '1.0.0' } });
  });
});

describe('same rules as GraphQL', () => {
  it('names the field of a bad payload and writes nothing', async () => {
    const ada = await createUser(t);
    const cases: [Record<string, unknown>, string][] = [
      [{ ...seedBody('bad_license'), settings: { ...seedBody('x').settings, license: 'gpl2' } }, 'settings.license'],
      [{ name: 'no_label', details: { summary: 'x' }, settings: seedBody('x').settings }, 'details.label'],
      [{ details: { label: 'No name' }, settings: seedBody('x').settings }, 'name'],
      [{ ...seedBody('bad_pipeline'), settings: { ...seedBody('x').settings, pipeline_enabled: '<boolean>' } }, 'settings.pipeline_enabled'],
      [{ ...seedBody('open_mit'), settings: { ...seedBody('x').settings, license: 'mit', source_visibility: 'closed' } }, 'settings.source_visibility'],
      [{ ...seedBody('bad name!') }, 'name'],
      [{ ...seedBody('long_label'), details: { label: 'x'.repeat(101) } }, 'details.label'],
    ];
    for (const [body, field] of cases) {
      const answer = await rest(t, 'POST', `/v1/algorithms/${ada.username}`, { key: ada.key, body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe(6001);
      expect(answer.body.error.message).toContain(`${field}:`);
    }
    const listed = await rest(t, 'GET', `/v1/users/${ada.username}/algorithms`, { key: ada.key });
    expect(listed.body).toEqual([]);
  });

  it('refuses a name taken (1002), a form-encoded update (2013) and a callability change without major', async () => {
    const ada = await createUser(t);
    await created(ada.key, ada.username, 'taken');
    const taken = await rest(t, 'POST', `/v1/algorithms/${ada.username}`, { key: ada.key, body: seedBody('TAKEN') });
    expect(taken.status).toBe(400);
    expect(taken.body.error.code).toBe(1002);

    const path = `/v1/algorithms/${ada.username}/taken`;
    // What Algorithmia's Python client 2.0 sends on update(): its values lost to form encoding.
    const form = await rest(t, 'PUT', path, {
      key: ada.key,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'details=label&settings=license',
    });
    expect(form.status).toBe(400);
    expect(form.body.error.code).toBe(2013);

    const updated = await rest(t, 'PUT', path, { key: ada.key, body: { details: { label: 'Renamed' }, settings: { licence: 'mit', source_visibility: 'open' } } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ details: { label: 'Renamed', summary: 'Finds the sentiment of text.' }, settings: { license: 'mit', source_visibility: 'open', language: 'python3-1' } });

    await rest(t, 'POST', `${path}/versions`, { key: ada.key, body: {} });
    // A refused publish changes nothing, the details it carried included.
    const refused = await rest(t, 'POST', `${path}/versions`, {
      key: ada.key,
      body: { details: { label: 'Never' }, settings: { algorithm_callability: 'public' } },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toMatch(/^settings\.algorithm_callability: /);
    const badSettings = await rest(t, 'POST', `${path}/versions`, { key: ada.key, body: { details: { label: 'Never' }, settings: { license: 'gpl3', source_visibility: 'closed' } } });
    expect(badSettings.status).toBe(400);
    expect(badSettings.body.error.message).toMatch(/^settings\.source_visibility: /);
    expect((await rest(t, 'GET', `${path}/versions`, { key: ada.key })).body.results).toHaveLength(1);
    expect((await rest(t, 'GET', path, { key: ada.key })).body.details.label).toBe('Renamed');
  });

  it("answers 403 to an admin key, a key that may not manage algorithms, and another owner's changes; 404 to what it may not see", async () => {
    const owner = await createUser(t);
    const other = await createUser(t);
    const path = `/v1/algorithms/${owner.username}/guarded`;
    await created(owner.key, owner.username, 'guarded');
    const forbidden = { error: { id: expect.any(String), code: 2001, message: 'Caller is not authorized to perform the operation.' } };

    const admin = await rest(t, 'GET', path, { key: t.adminKey });
    expect(admin.status).toBe(403);
    expect(admin.body).toEqual(forbidden);

    const readOnly = await standardKey(owner.key, 'algorithmAccess: ["algo://*"]');
    expect((await rest(t, 'GET', path, { key: readOnly })).status).toBe(200);
    const refused = await rest(t, 'POST', `/v1/algorithms/${owner.username}`, { key: readOnly, body: seedBody('nope') });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual(forbidden);
    expect((await rest(t, 'DELETE', path, { key: readOnly })).status).toBe(403);

    // Someone else's owner name: refused, not created.
    const foreign = await rest(t, 'POST', `/v1/algorithms/${owner.username}`, { key: other.key, body: seedBody('intruder') });
    expect(foreign.status).toBe(403);
    expect((await rest(t, 'GET', `/v1/algorithms/${owner.username}/intruder`, { key: owner.key })).status).toBe(404);
    const unknownOwner = await rest(t, 'POST', `/v1/algorithms/${uniqueName('nobody')}`, { key: other.key, body: seedBody('x') });
    expect(unknownOwner.status).toBe(404);
    expect(unknownOwner.body.error.code).toBe(3000);

    // Private: does not exist for others.
    for (const [method, suffix] of [['PUT', ''], ['DELETE', ''], ['POST', '/compile'], ['POST', '/versions'], ['GET', '/versions']] as const) {
      const answer = await rest(t, method, `${path}${suffix}`, { key: other.key, body: method === 'DELETE' || method === 'GET' ? undefined : {} });
      expect(answer.status, `${method} ${suffix}`).toBe(404);
      expect(answer.body.error.code).toBe(1000);
    }
    // Public: seen, but not theirs to change; and not deletable once public.
    await rest(t, 'POST', `${path}/versions`, { key: owner.key, body: { settings: { algorithm_callability: 'public' } } });
    expect((await rest(t, 'GET', path, { key: other.key })).status).toBe(200);
    expect((await rest(t, 'PUT', path, { key: other.key, body: { details: { label: 'Mine' } } })).status).toBe(403);
    expect((await rest(t, 'DELETE', path, { key: owner.key })).status).toBe(403);
    expect((await rest(t, 'GET', path, { key: owner.key })).status).toBe(200);
  });

  it("lets an organization's members create and publish under its name", async () => {
    const owner = await createUser(t);
    const member = await createUser(t);
    const org = await createOrganization(t, [owner.username], [member.username]);
    const algorithm = await created(member.key, org, 'team_work');
    expect(algorithm.self_link).toBe(`http://localhost/v1/algorithms/${org}/team_work`);
    expect((await rest(t, 'POST', `/v1/algorithms/${org}/team_work/versions`, { key: member.key, body: {} })).status).toBe(200);
    const listed = await rest(t, 'GET', `/v1/users/${org}/algorithms`, { key: owner.key });
    expect(listed.body).toEqual([{ id: algorithm.id, algoname: 'team_work', username: org }]);
  });

  it("lists a user's algorithms the key may see, for standard and admin keys", async () => {
    const owner = await createUser(t);
    const other = await createUser(t);
    const shown = await created(owner.key, owner.username, 'shown');
    await created(owner.key, owner.username, 'unseen');
    await rest(t, 'POST', `/v1/algorithms/${owner.username}/shown/versions`, { key: owner.key, body: { settings: { algorithm_callability: 'public' } } });
    const names = async (key: string) => (await rest(t, 'GET', `/v1/users/${owner.username}/algorithms`, { key })).body.map((a: any) => a.algoname);
    expect(await names(owner.key)).toEqual(['shown', 'unseen']);
    expect(await names(t.adminKey)).toEqual(['shown', 'unseen']);
    expect(await names(other.key)).toEqual(['shown']);
    expect((await rest(t, 'GET', `/v1/users/${owner.username}/algorithms`, { key: other.key })).body[0]).toEqual({ id: shown.id, algoname: 'shown', username: owner.username });
    const unknown = await rest(t, 'GET', `/v1/users/${uniqueName('ghost')}/algorithms`, { key: other.key });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe(3000);
  });

  it('records the same audit events as GraphQL', async () => {
    const ada = await createUser(t);
    await created(ada.key, ada.username, 'audited');
    await rest(t, 'POST', `/v1/algorithms/${ada.username}/audited/versions`, { key: ada.key, body: {} });
    await rest(t, 'DELETE', `/v1/algorithms/${ada.username}/audited`, { key: ada.key });
    const events = await t.gql(`{ admin { auditEvents(first: 100) { nodes { action summary } } } }`, { key: t.adminKey });
    const actions = events.body.data!.admin.auditEvents.nodes
      .filter((e: any) => JSON.stringify(e.summary).includes('audited') || e.action === 'ALGORITHM_PUBLISHED')
      .map((e: any) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['ALGORITHM_CREATED', 'ALGORITHM_PUBLISHED', 'ALGORITHM_DELETED']));
  });
});

describe('paths and bodies as Algorithmia has them', () => {
  it('finds an algorithm only by its exact owner and name: no reference syntax smuggled in through the path', async () => {
    const ada = await createUser(t);
    await created(ada.key, ada.username, 'exact');
    await rest(t, 'POST', `/v1/algorithms/${ada.username}/exact/versions`, { key: ada.key, body: {} });
    const disguised = await rest(t, 'DELETE', `/v1/algorithms/algo:%2F%2F${ada.username}/exact%2F9.9.9`, { key: ada.key });
    expect(disguised.status).toBe(404);
    expect((await rest(t, 'GET', `/v1/algorithms/${ada.username}/exact%2F0.1.0`, { key: ada.key })).text).toBe('{"error":"No such algorithm"}');
    expect((await rest(t, 'GET', `/v1/algorithms/${ada.username.toUpperCase()}/EXACT`, { key: ada.key })).body.name).toBe('exact');
    const hash = (await rest(t, 'GET', `/v1/algorithms/${ada.username}/exact`, { key: ada.key })).body.version_info.git_hash;
    expect((await rest(t, 'GET', `/v1/algorithms/${ada.username}/exact/versions/${hash.toUpperCase()}`, { key: ada.key })).status).toBe(200);
  });

  it("requires the spec's mandatory settings on create, takes royalties there, and ignores read-only settings on update", async () => {
    const ada = await createUser(t);
    const { license: _license, ...withoutLicense } = seedBody('x').settings;
    const missing = await rest(t, 'POST', `/v1/algorithms/${ada.username}`, { key: ada.key, body: { ...seedBody('no_license'), settings: withoutLicense } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.message).toBe('settings.license: is required');
    const noSettings = await rest(t, 'POST', `/v1/algorithms/${ada.username}`, { key: ada.key, body: { name: 'bare', details: { label: 'Bare' } } });
    expect(noSettings.status).toBe(400);
    expect(noSettings.body.error.message).toMatch(/^settings: /);

    // The Java client of 2020-2021 spelled it `licence`; royalties are the creator's to set.
    const java = await rest(t, 'POST', `/v1/algorithms/${ada.username}`, {
      key: ada.key,
      body: { ...seedBody('java'), settings: { ...withoutLicense, licence: 'apl', royalty_microcredits: 25 } },
    });
    expect(java.status).toBe(201);
    expect(java.body.settings).toMatchObject({ license: 'apl', royalty_microcredits: 25 });

    // Read-only on update: sent back as a client read them (whatever their spelling), and ignored.
    const updated = await rest(t, 'PUT', `/v1/algorithms/${ada.username}/java`, {
      key: ada.key,
      body: { details: { label: 'Java' }, settings: { royalty_microcredits: '0', algorithm_callability: 'PUBLIC' } },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ details: { label: 'Java' }, settings: { royalty_microcredits: 25, algorithm_callability: 'private' } });
  });
});

describe('Idempotency-Key on REST writes', () => {
  it('replays the first answer to a retry, creates once, and refuses the key with another body', async () => {
    const ada = await createUser(t);
    const headers = { 'idempotency-key': uniqueName('idem') };
    const first = await rest(t, 'POST', `/v1/algorithms/${ada.username}`, { key: ada.key, headers, body: seedBody('once') });
    const retry = await rest(t, 'POST', `/v1/algorithms/${ada.username}`, { key: ada.key, headers, body: seedBody('once') });
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const other = await rest(t, 'POST', `/v1/algorithms/${ada.username}`, { key: ada.key, headers, body: seedBody('twice') });
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ id: expect.any(String), code: expect.any(Number) });
    expect((await rest(t, 'GET', `/v1/users/${ada.username}/algorithms`, { key: ada.key })).body).toHaveLength(1);

    // A refused request did nothing, so the same key may be used again once it is fixed.
    const fixHeaders = { 'idempotency-key': uniqueName('idem') };
    expect((await rest(t, 'POST', `/v1/algorithms/${ada.username}`, { key: ada.key, headers: fixHeaders, body: { name: 'fixed' } })).status).toBe(400);
    expect((await rest(t, 'POST', `/v1/algorithms/${ada.username}`, { key: ada.key, headers: fixHeaders, body: seedBody('fixed') })).status).toBe(201);

    const deleteHeaders = { 'idempotency-key': uniqueName('idem') };
    expect((await rest(t, 'DELETE', `/v1/algorithms/${ada.username}/once`, { key: ada.key, headers: deleteHeaders })).status).toBe(204);
    const replayed = await rest(t, 'DELETE', `/v1/algorithms/${ada.username}/once`, { key: ada.key, headers: deleteHeaders });
    expect(replayed.status).toBe(204);
    expect(replayed.text).toBe('');
  });
});
