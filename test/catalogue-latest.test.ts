/**
 * The latest version the catalogue shows each caller, which publish keeps on the algorithm's row
 * (its newest version, its newest PUBLIC one): the owner and members see the newest, everyone else
 * the newest PUBLIC one, after every publish of either callability, after joining an organization,
 * and after deletes. Read through a catalogue page, by owner, and by reference. Also the migrations
 * that gave the algorithms published before them their latest versions, and copies of their summaries.
 */
import { and, eq, or, sql } from 'drizzle-orm';
import { algorithms, owners } from '../src/db/schema.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization, createUser, startTestApp, type TestApp } from './helpers/app.js';
import { bareDatabase } from './helpers/migrations.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t?.close());

const SHOWN = 'name latestVersion { semanticVersion callability } versions(first: 20) { nodes { semanticVersion } }';

async function mutate(key: string, field: string, query: string, variables: Record<string, unknown>) {
  const response = await t.gql(query, { key, variables });
  expect(response.body.errors).toBeUndefined();
  const payload = response.body.data![field];
  expect(payload.userErrors).toEqual([]);
  return payload;
}

async function create(key: string, name: string, owner?: string): Promise<string> {
  const payload = await mutate(key, 'createAlgorithm', `mutation($input: CreateAlgorithmInput!) { createAlgorithm(input: $input) { algorithm { id } userErrors { message } } }`, {
    input: { name, owner, details: { label: name }, settings: { language: 'PYTHON3', environment: 'CPU' } },
  });
  return payload.algorithm.id;
}

async function publish(key: string, id: string, versionType: string, callability?: string): Promise<string> {
  const payload = await mutate(
    key,
    'publishAlgorithm',
    `mutation($input: PublishAlgorithmInput!) { publishAlgorithm(input: $input) { version { semanticVersion } userErrors { message } } }`,
    { input: { id, versionType, callability } },
  );
  return payload.version.semanticVersion;
}

/** What `key` is shown of `owner`'s algorithms: on the catalogue's page of that owner, and by reference; the two must agree. */
async function shown(key: string, owner: string, name: string) {
  const response = await t.gql(
    `query($owner: String!, $ref: String!) { algorithms(owner: $owner, first: 50) { nodes { ${SHOWN} } } algorithm(ref: $ref) { ${SHOWN} } }`,
    { key, variables: { owner, ref: `${owner}/${name}` } },
  );
  expect(response.body.errors).toBeUndefined();
  const { algorithms, algorithm } = response.body.data!;
  const listed = algorithms.nodes.find((node: { name: string }) => node.name === name) ?? null;
  expect(listed).toEqual(algorithm);
  return algorithm && { latest: algorithm.latestVersion, versions: algorithm.versions.nodes.map((node: { semanticVersion: string }) => node.semanticVersion) };
}

const latest = (semanticVersion: string, callability: string) => ({ semanticVersion, callability });

describe('the latest version each caller is shown', () => {
  it('follows every publish: the owner is shown the newest, others the newest PUBLIC, and never a private one', async () => {
    const owner = await createUser(t);
    const stranger = await createUser(t);
    const id = await create(owner.key, 'layered');
    const expectShown = async (ownerSees: unknown, strangerSees: unknown) => {
      expect(await shown(owner.key, owner.username, 'layered')).toEqual(ownerSees);
      expect(await shown(stranger.key, owner.username, 'layered')).toEqual(strangerSees);
    };

    await expectShown({ latest: null, versions: [] }, null);
    expect(await publish(owner.key, id, 'MINOR')).toBe('0.1.0');
    await expectShown({ latest: latest('0.1.0', 'PRIVATE'), versions: ['0.1.0'] }, null);

    expect(await publish(owner.key, id, 'MAJOR', 'PUBLIC')).toBe('1.0.0');
    await expectShown({ latest: latest('1.0.0', 'PUBLIC'), versions: ['0.1.0', '1.0.0'] }, { latest: latest('1.0.0', 'PUBLIC'), versions: ['1.0.0'] });

    expect(await publish(owner.key, id, 'REVISION')).toBe('1.0.1');
    await expectShown(
      { latest: latest('1.0.1', 'PUBLIC'), versions: ['0.1.0', '1.0.0', '1.0.1'] },
      { latest: latest('1.0.1', 'PUBLIC'), versions: ['1.0.0', '1.0.1'] },
    );

    expect(await publish(owner.key, id, 'MAJOR', 'PRIVATE')).toBe('2.0.0');
    expect(await publish(owner.key, id, 'MINOR')).toBe('2.1.0');
    await expectShown(
      { latest: latest('2.1.0', 'PRIVATE'), versions: ['0.1.0', '1.0.0', '1.0.1', '2.0.0', '2.1.0'] },
      { latest: latest('1.0.1', 'PUBLIC'), versions: ['1.0.0', '1.0.1'] },
    );

    expect(await publish(owner.key, id, 'MAJOR', 'PUBLIC')).toBe('3.0.0');
    await expectShown(
      { latest: latest('3.0.0', 'PUBLIC'), versions: ['0.1.0', '1.0.0', '1.0.1', '2.0.0', '2.1.0', '3.0.0'] },
      { latest: latest('3.0.0', 'PUBLIC'), versions: ['1.0.0', '1.0.1', '3.0.0'] },
    );
  });

  it("shows an organization's members its newest version, and a user who joins it at once", async () => {
    const boss = await createUser(t);
    const member = await createUser(t);
    const joiner = await createUser(t);
    const organization = await createOrganization(t, [boss.username], [member.username]);
    const id = await create(boss.key, 'shared', organization);
    await publish(boss.key, id, 'MAJOR', 'PUBLIC');
    await publish(boss.key, id, 'MAJOR', 'PRIVATE');

    const inside = { latest: latest('2.0.0', 'PRIVATE'), versions: ['1.0.0', '2.0.0'] };
    const outside = { latest: latest('1.0.0', 'PUBLIC'), versions: ['1.0.0'] };
    expect(await shown(boss.key, organization, 'shared')).toEqual(inside);
    expect(await shown(member.key, organization, 'shared')).toEqual(inside);
    expect(await shown(joiner.key, organization, 'shared')).toEqual(outside);

    const added = await t.gql(
      `mutation($o: String!, $u: String!) { addOrganizationMember(input: { organization: $o, username: $u, role: MEMBER }) { userErrors { message } } }`,
      { key: t.adminKey, variables: { o: organization, u: joiner.username } },
    );
    expect(added.body.data!.addOrganizationMember.userErrors).toEqual([]);
    expect(await shown(joiner.key, organization, 'shared')).toEqual(inside);
  });

  it('shows nothing of deleted algorithms, and the rest as they were', async () => {
    const owner = await createUser(t);
    const stranger = await createUser(t);
    const kept = await create(owner.key, 'kept');
    const draft = await create(owner.key, 'draft');
    const gone = await create(owner.key, 'gone');
    await publish(owner.key, kept, 'MAJOR', 'PUBLIC');
    await publish(owner.key, kept, 'MAJOR', 'PRIVATE');
    await publish(owner.key, draft, 'MINOR');
    await publish(owner.key, gone, 'MAJOR', 'PUBLIC');

    await mutate(owner.key, 'deleteAlgorithm', `mutation($id: ID!) { deleteAlgorithm(input: { id: $id }) { userErrors { message } } }`, { id: draft });
    await mutate(t.adminKey, 'adminDeleteAlgorithm', `mutation($id: ID!) { adminDeleteAlgorithm(input: { id: $id }) { userErrors { message } } }`, { id: gone });

    for (const name of ['draft', 'gone']) {
      expect(await shown(owner.key, owner.username, name)).toBeNull();
      expect(await shown(stranger.key, owner.username, name)).toBeNull();
    }
    expect(await shown(owner.key, owner.username, 'kept')).toEqual({ latest: latest('2.0.0', 'PRIVATE'), versions: ['1.0.0', '2.0.0'] });
    expect(await shown(stranger.key, owner.username, 'kept')).toEqual({ latest: latest('1.0.0', 'PUBLIC'), versions: ['1.0.0'] });
  });
});

describe('versions read along with a list', () => {
  const FIELDS = 'id semanticVersion gitHash versionType callability publishedAt publishedBy { id }';

  it("carry exactly what each version's own row says, whoever published it and whatever its type and callability", async () => {
    const owner = await createUser(t);
    const id = await create(owner.key, 'summarised');
    await publish(owner.key, id, 'MINOR', 'PRIVATE');
    await publish(owner.key, id, 'MAJOR', 'PUBLIC');
    await publish(owner.key, id, 'REVISION');
    // A version nobody is named as publisher of (as the bench's bulk seed writes them).
    await t.app.database.db.execute(sql`update algorithm_versions set published_by_user_id = null
      where major = 0 and algorithm_id = (select a.id from algorithms a join owners o on o.id = a.owner_id where o.name = ${owner.username} and a.name = 'summarised')`);

    const listed = await t.gql(`query($owner: String!) { algorithms(owner: $owner, first: 5) { nodes { latestVersion { ${FIELDS} } versions(first: 10) { nodes { ${FIELDS} } } } } }`, {
      key: owner.key,
      variables: { owner: owner.username },
    });
    expect(listed.body.errors).toBeUndefined();
    const [algorithm] = listed.body.data!.algorithms.nodes;
    const versions = algorithm.versions.nodes as { id: string; publishedAt: string; gitHash: string }[];
    expect(versions.map((version: any) => [version.semanticVersion, version.versionType, version.callability, version.publishedBy?.id ?? null])).toEqual([
      ['0.1.0', 'MINOR', 'PRIVATE', null],
      ['1.0.0', 'MAJOR', 'PUBLIC', owner.id],
      ['1.0.1', 'REVISION', 'PUBLIC', owner.id],
    ]);
    expect(algorithm.latestVersion).toEqual(versions[2]);

    // node(ids:) reads each version's columns, not its stored summary: the two must agree, field for field.
    const looked = await t.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on AlgorithmVersion { ${FIELDS} } } }`, {
      key: owner.key,
      variables: { ids: versions.map((version) => version.id) },
    });
    expect(looked.body.errors).toBeUndefined();
    expect(looked.body.data!.nodes).toEqual(versions);
    for (const version of versions) {
      expect(version.publishedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(version.gitHash).toMatch(/^[0-9a-f]{40}$/);
    }
  });
});

describe('algorithms read by a list', () => {
  it("carry exactly what each algorithm's and owner's own rows say, on every path a list takes", async () => {
    const boss = await createUser(t);
    const organization = await createOrganization(t, [boss.username]);
    const own = await create(boss.key, 'Summary_Own');
    const theirs = await create(boss.key, 'Summary_Org', organization);
    await publish(boss.key, theirs, 'MINOR', 'PUBLIC');
    const rows = await t.app.database.db
      .select({ name: algorithms.name, createdAt: algorithms.createdAt, owner: owners.name, kind: owners.kind, hasPublicVersion: algorithms.hasPublicVersion })
      .from(algorithms)
      .innerJoin(owners, eq(owners.id, algorithms.ownerId))
      .where(or(and(eq(owners.name, boss.username), eq(algorithms.name, 'Summary_Own')), and(eq(owners.name, organization), eq(algorithms.name, 'Summary_Org'))))
      .orderBy(algorithms.createdAt, algorithms.id);
    const expected = rows.map((row) => ({
      name: row.name,
      createdAt: row.createdAt.toISOString(),
      owner: { __typename: row.kind === 'USER' ? 'User' : 'Organization', name: row.owner },
      callability: row.hasPublicVersion ? 'PUBLIC' : 'PRIVATE',
    }));
    expect(expected.map((e) => e.owner.__typename)).toEqual(['User', 'Organization']);
    const fields = 'id name createdAt owner { __typename ... on User { name: username } ... on Organization { name } } latestVersion { callability }';
    const read = (algorithm: any) => ({ name: algorithm.name, createdAt: algorithm.createdAt, owner: algorithm.owner, callability: algorithm.latestVersion?.callability ?? 'PRIVATE' });

    // A page of all algorithms, a page per owner, and by ids: each statement writes the row its own way.
    const page = await t.gql(`{ algorithms(first: 100) { nodes { ${fields} } } }`, { key: boss.key });
    expect(page.body.errors).toBeUndefined();
    const onPage = page.body.data!.algorithms.nodes.filter((a: any) => a.id === own || a.id === theirs);
    expect(onPage.map(read)).toEqual(expected);
    const perOwner = await t.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on User { algorithms(first: 5) { nodes { ${fields} } } } ... on Organization { algorithms(first: 5) { nodes { ${fields} } } } } }`, {
      key: boss.key,
      variables: { ids: [await ownerIdOf(boss.key, own), await ownerIdOf(boss.key, theirs)] },
    });
    expect(perOwner.body.errors).toBeUndefined();
    expect(perOwner.body.data!.nodes.flatMap((owner: any) => owner.algorithms.nodes).map(read)).toEqual(expected);
    const byIds = await t.gql(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on Algorithm { ${fields} } } }`, { key: boss.key, variables: { ids: onPage.map((a: any) => a.id) } });
    expect(byIds.body.errors).toBeUndefined();
    expect(byIds.body.data!.nodes.map(read)).toEqual(expected);
  });
});

async function ownerIdOf(key: string, algorithmId: string): Promise<string> {
  const found = await t.gql(`query($id: ID!) { node(id: $id) { ... on Algorithm { owner { ... on User { id } ... on Organization { id } } } } }`, { key, variables: { id: algorithmId } });
  return found.body.data!.node.owner.id;
}

describe('the migration that added the latest versions', () => {
  it('gives each algorithm published before it its newest version and its newest PUBLIC one', async () => {
    const db = await bareDatabase();
    try {
      await db.migrate('_algorithm_latest_versions.sql', 'before');
      await db.exec(`insert into owners (id, kind, name) values ('00000000-0000-4000-8000-000000000001', 'USER', 'ada')`);
      await db.exec(`insert into algorithms (id, owner_id, name, label, has_public_version)
        values ('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-000000000001', 'mixed', 'Mixed', true),
               ('00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-000000000001', 'private', 'Private', false),
               ('00000000-0000-4000-8000-00000000000c', '00000000-0000-4000-8000-000000000001', 'draft', 'Draft', false)`);
      // Published out of semver order, so that the newest is found by version, not by insertion.
      await db.exec(`insert into algorithm_versions (algorithm_id, major, minor, patch, git_hash, version_type, callability, details, settings)
        select algorithm_id::uuid, major, minor, 0, md5(algorithm_id || major || minor) || 'abcdef01', 'MAJOR', callability::callability, '{}', '{}'
        from (values ('00000000-0000-4000-8000-00000000000a', 2, 0, 'PRIVATE'), ('00000000-0000-4000-8000-00000000000a', 1, 0, 'PUBLIC'),
                     ('00000000-0000-4000-8000-00000000000a', 1, 1, 'PUBLIC'), ('00000000-0000-4000-8000-00000000000b', 0, 2, 'PRIVATE'),
                     ('00000000-0000-4000-8000-00000000000b', 0, 1, 'PRIVATE')) as v(algorithm_id, major, minor, callability)`);
      await db.migrate('_algorithm_latest_versions.sql', 'from');
      const rows = await db.query<{ name: string; latest: string | null; latest_public: string | null }>(`
        select a.name, l.major || '.' || l.minor as latest, p.major || '.' || p.minor as latest_public from algorithms a
        left join algorithm_versions l on l.id = a.latest_version_id left join algorithm_versions p on p.id = a.latest_public_version_id order by a.name`);
      expect(rows).toEqual([
        { name: 'draft', latest: null, latest_public: null },
        { name: 'mixed', latest: '2.0', latest_public: '1.1' },
        { name: 'private', latest: '0.2', latest_public: null },
      ]);
      // Its copy goes too: a later migration requires one exactly when there is an id.
      await expect(
        db.exec(`update algorithms set latest_public_version_id = null, latest_public_version_summary_json = null where name = 'mixed'`),
      ).rejects.toThrow(/algorithms_latest_versions/);
    } finally {
      await db.close();
    }
  });
});

describe('the migration that copied the latest versions onto their algorithms', () => {
  it("copies each algorithm's newest and newest PUBLIC version's summary, and refuses a copy of another version", async () => {
    const db = await bareDatabase();
    try {
      await db.migrate('_latest_version_copies.sql', 'before');
      await db.exec(`insert into owners (id, kind, name) values ('00000000-0000-4000-8000-000000000001', 'USER', 'ada')`);
      await db.exec(`insert into algorithms (id, owner_id, name, label) values
        ('00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-000000000001', 'mixed', 'Mixed'),
        ('00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-000000000001', 'private', 'Private'),
        ('00000000-0000-4000-8000-00000000000c', '00000000-0000-4000-8000-000000000001', 'draft', 'Draft')`);
      await db.exec(`insert into algorithm_versions (id, algorithm_id, major, minor, patch, git_hash, version_type, callability, details, settings)
        select id::uuid, algorithm_id::uuid, major, 0, 0, md5(id) || 'abcdef01', 'MAJOR', callability::callability, '{}', '{}'
        from (values ('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-00000000000a', 1, 'PUBLIC'),
                     ('00000000-0000-4000-8000-0000000000a2', '00000000-0000-4000-8000-00000000000a', 2, 'PRIVATE'),
                     ('00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-00000000000b', 1, 'PRIVATE')) as v(id, algorithm_id, major, callability)`);
      await db.exec(`update algorithms set has_public_version = true, latest_version_id = '00000000-0000-4000-8000-0000000000a2',
        latest_public_version_id = '00000000-0000-4000-8000-0000000000a1' where name = 'mixed'`);
      await db.exec(`update algorithms set latest_version_id = '00000000-0000-4000-8000-0000000000b1' where name = 'private'`);
      await db.migrate('_latest_version_copies.sql', 'from');
      const rows = await db.query<{ name: string; latest: boolean | null; latest_public: boolean | null }>(`
        select a.name, a.latest_version_summary_json = l.summary_json as latest, a.latest_public_version_summary_json = p.summary_json as latest_public
        from algorithms a left join algorithm_versions l on l.id = a.latest_version_id left join algorithm_versions p on p.id = a.latest_public_version_id
        order by a.name`);
      expect(rows).toEqual([
        { name: 'draft', latest: null, latest_public: null },
        { name: 'mixed', latest: true, latest_public: true },
        { name: 'private', latest: true, latest_public: null },
      ]);
      const copyOf = (id: string) => `(select summary_json from algorithm_versions where id = '${id}')`;
      // A copy of another version than its id names, a copy without an id, an id without a copy.
      await expect(
        db.exec(`update algorithms set latest_version_summary_json = ${copyOf('00000000-0000-4000-8000-0000000000a1')} where name = 'mixed'`),
      ).rejects.toThrow(/algorithms_latest_version_copy/);
      await expect(
        db.exec(`update algorithms set latest_public_version_summary_json = ${copyOf('00000000-0000-4000-8000-0000000000b1')} where name = 'private'`),
      ).rejects.toThrow(/algorithms_latest_public_version_copy/);
      await expect(db.exec(`update algorithms set latest_version_summary_json = null where name = 'private'`)).rejects.toThrow(/algorithms_latest_version_copy/);
    } finally {
      await db.close();
    }
  });
});
