/**
 * The hand-written baseline for the nested list: plain node:http and postgres.js, one SQL statement
 * per request, answering exactly the bytes algoplane answers to `NESTED_LIST` (the benchmark checks).
 * It applies the same visibility rules (own and organization algorithms in full, others' PUBLIC
 * versions only) and, like algoplane, verifies the key once and then serves it from memory.
 * It knows this one query and nothing else: that is what makes it the lower bound on work.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import postgres from 'postgres';

const sql = postgres(process.env.DATABASE_URL!, { max: 10, onnotice: () => {} });

interface Caller {
  ownerId: string;
  userId: string | null;
}
const callers = new Map<string, Caller | null>();

async function callerOf(authorization: string | undefined): Promise<Caller | null> {
  const key = authorization?.replace(/^simple\s+/i, '') ?? '';
  const hash = createHash('sha256').update(key).digest('hex');
  if (!callers.has(hash)) {
    const [row] = await sql<{ ownerId: string; kind: string }[]>`
      select k.owner_id as "ownerId", o.kind from api_key_secrets s
      join api_keys k on k.id = s.api_key_id join owners o on o.id = k.owner_id
      where s.hash = ${hash} and not k.disabled and o.deleted_at is null`;
    callers.set(hash, row ? { ownerId: row.ownerId, userId: row.kind === 'USER' ? row.ownerId : null } : null);
  }
  return callers.get(hash)!;
}

interface Row {
  id: string;
  name: string;
  createdAt: Date;
  ownerName: string;
  latestMajor: number | null;
  latestMinor: number;
  latestPatch: number;
  latestCallability: string;
  major: number | null;
  minor: number;
  patch: number;
  publishedAt: Date;
}

const PAGE_OF_VERSIONS = 5;

function catalogue(caller: Caller, first: number) {
  return sql<Row[]>`
    with mine as (
      select organization_id as id from organization_members where user_id = ${caller.userId}
      union all select ${caller.ownerId}::uuid
    ),
    page as (
      select a.id, a.name, a.created_at, o.name as owner_name, a.owner_id in (select id from mine) as full_access
      from algorithms a join owners o on o.id = a.owner_id
      where o.deleted_at is null and (a.has_public_version or a.owner_id in (select id from mine))
      order by a.created_at, a.id
      limit ${first + 1}
    )
    select p.id, p.name, p.created_at as "createdAt", p.owner_name as "ownerName",
      lv.major as "latestMajor", lv.minor as "latestMinor", lv.patch as "latestPatch", lv.callability as "latestCallability",
      v.major, v.minor, v.patch, v.published_at as "publishedAt"
    from page p
    left join lateral (
      select major, minor, patch, callability from algorithm_versions
      where algorithm_id = p.id and (p.full_access or callability = 'PUBLIC')
      order by major desc, minor desc, patch desc limit 1
    ) lv on true
    left join lateral (
      select major, minor, patch, published_at, id from algorithm_versions
      where algorithm_id = p.id and (p.full_access or callability = 'PUBLIC')
      order by published_at, id limit ${PAGE_OF_VERSIONS + 1}
    ) v on true
    order by p.created_at, p.id, v.published_at, v.id`;
}

const cursorOf = (createdAt: Date, id: string) => Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');

function render(rows: Row[], first: number) {
  type Node = { id: string; name: string; owner: { name: string }; latestVersion: unknown; versions: { pageInfo: { hasNextPage: boolean }; nodes: unknown[] } };
  const nodes: (Node & { createdAt: Date; rawId: string })[] = [];
  for (const row of rows) {
    let node = nodes.at(-1);
    if (node?.rawId !== row.id) {
      node = {
        rawId: row.id,
        createdAt: row.createdAt,
        id: Buffer.from(`Algorithm:${row.id}`).toString('base64'),
        name: row.name,
        owner: { name: row.ownerName },
        latestVersion:
          row.latestMajor === null ? null : { semanticVersion: `${row.latestMajor}.${row.latestMinor}.${row.latestPatch}`, callability: row.latestCallability },
        versions: { pageInfo: { hasNextPage: false }, nodes: [] },
      };
      nodes.push(node);
    }
    if (row.major === null) continue;
    if (node.versions.nodes.length === PAGE_OF_VERSIONS) node.versions.pageInfo.hasNextPage = true;
    else node.versions.nodes.push({ semanticVersion: `${row.major}.${row.minor}.${row.patch}`, publishedAt: row.publishedAt.toISOString() });
  }
  const page = nodes.slice(0, first);
  const last = page.at(-1);
  return {
    data: {
      algorithms: {
        pageInfo: { hasNextPage: nodes.length > first, endCursor: last ? cursorOf(last.createdAt, last.rawId) : null },
        nodes: page.map(({ rawId: _, createdAt: __, ...node }) => node),
      },
    },
  };
}

createServer(async (request, response) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const reply = (status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(body));
  };
  try {
    const caller = await callerOf(request.headers.authorization);
    if (!caller) return reply(401, { errors: [{ message: 'Unknown or invalid API key.' }] });
    const first = Number(JSON.parse(Buffer.concat(chunks).toString('utf8')).variables.first);
    reply(200, render(await catalogue(caller, first), first));
  } catch {
    reply(500, { errors: [{ message: 'Unexpected error.' }] });
  }
}).listen(Number(process.env.PORT), '127.0.0.1');
