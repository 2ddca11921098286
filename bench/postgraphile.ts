/**
 * PostGraphile v5 as a baseline, kept out of the project: it is installed from the npm registry into
 * a scratch folder under the system's temporary directory at bench time (never into package.json),
 * at pinned versions, by the Node the benchmark runs on (PostGraphile v5 needs Node 22 or later). The
 * folder is reused while it holds exactly the pinned versions.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';

/**
 * PostGraphile and the packages it names as peers, at exact versions (5.1.5 is v5's latest
 * release); the packages these pull in are resolved when the folder is first installed.
 */
const PINNED: Record<string, string> = {
  postgraphile: '5.1.5',
  grafast: '1.1.3',
  grafserv: '1.0.2',
  '@dataplan/pg': '1.1.2',
  '@dataplan/json': '1.0.1',
  'graphile-build': '5.1.1',
  'graphile-build-pg': '5.1.4',
  'graphile-config': '1.1.1',
  'pg-sql2': '5.0.1',
  tamedevil: '0.1.1',
  pg: '8.23.1',
  graphql: '16.15.0',
};

/** Written last, so a folder whose install failed or was interrupted is never taken for a ready one. */
const INSTALLED_MARKER = 'installed.json';

/**
 * Installs PostGraphile (or finds it installed) and returns the path of its server script, copied
 * next to its node_modules so that every import resolves from the scratch folder alone.
 */
export function installPostGraphile(log: (line: string) => void): string {
  const folder = join(tmpdir(), `algoplane-bench-postgraphile-${PINNED.postgraphile}`);
  const wanted = JSON.stringify(PINNED);
  const marker = join(folder, INSTALLED_MARKER);
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== wanted) {
    log(`  installing PostGraphile ${PINNED.postgraphile} into ${folder}…`);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'package.json'), JSON.stringify({ private: true, type: 'module', dependencies: PINNED }, null, 2));
    execFileSync('npm', ['install', '--prefix', folder, '--no-audit', '--no-fund', '--loglevel=error'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      // npm and anything it runs use the benchmark's own Node, not whichever is first on PATH.
      env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
    });
    writeFileSync(marker, wanted);
  }
  const script = join(folder, 'server.mjs');
  copyFileSync(new URL('./postgraphile-server.mjs', import.meta.url), script);
  return script;
}

/** The nested list as both servers can be compared on: raw ids, semantic versions, instants in ms. */
interface Catalogue {
  hasNextPage: boolean;
  /** The instant and id of the last algorithm, which both servers' cursors encode in their own way. */
  endCursor: [string, string] | null;
  nodes: {
    id: string;
    name: string;
    owner: string;
    latestVersion: { semanticVersion: string; callability: string } | null;
    versions: { hasNextPage: boolean; nodes: { semanticVersion: string; publishedAt: string }[] };
  }[];
}

/** The nested list's JSON from either server: they differ in how they tell a version and the latest one. */
interface Answer<Latest, Version> {
  data: {
    algorithms: {
      pageInfo: { hasNextPage: boolean; endCursor: string | null };
      nodes: {
        id: string;
        name: string;
        owner: { name: string };
        latestVersion: Latest;
        versions: { pageInfo: { hasNextPage: boolean }; nodes: (Version & { publishedAt: string })[] };
      }[];
    };
  };
}

/** How one server encodes what the other says plainly. */
interface Encoding<Latest, Version> {
  id(id: string): string;
  /** The last algorithm's creation instant and id, from a cursor. */
  cursor(cursor: string): [string, string];
  latestVersion(latest: Latest): Catalogue['nodes'][number]['latestVersion'];
  semanticVersion(version: Version): string;
}

const decode = (base64: string) => Buffer.from(base64, 'base64').toString('utf8');
const instant = (text: string) => new Date(text).toISOString();

function catalogueOf<Latest, Version>(text: string, encoding: Encoding<Latest, Version>): Catalogue {
  const { pageInfo, nodes } = (JSON.parse(text) as Answer<Latest, Version>).data.algorithms;
  const cursor = pageInfo.endCursor === null ? null : encoding.cursor(pageInfo.endCursor);
  return {
    hasNextPage: pageInfo.hasNextPage,
    endCursor: cursor && [instant(cursor[0]), cursor[1]],
    nodes: nodes.map((node) => ({
      id: encoding.id(node.id),
      name: node.name,
      owner: node.owner.name,
      latestVersion: encoding.latestVersion(node.latestVersion),
      versions: {
        hasNextPage: node.versions.pageInfo.hasNextPage,
        nodes: node.versions.nodes.map((v) => ({ semanticVersion: encoding.semanticVersion(v), publishedAt: instant(v.publishedAt) })),
      },
    })),
  };
}

type Latest = { semanticVersion: string; callability: string } | null;

/** algoplane's ids are base64 `Algorithm:<uuid>`, its cursors base64url JSON `[createdAt, id]`. */
const algoplane: Encoding<Latest, { semanticVersion: string }> = {
  id: (id) => decode(id).replace(/^Algorithm:/, ''),
  cursor: (cursor) => JSON.parse(decode(cursor)) as [string, string],
  latestVersion: (latest) => latest,
  semanticVersion: (version) => version.semanticVersion,
};

type Semver = { major: number; minor: number; patch: number };

/**
 * PostGraphile's ids are base64 JSON `[typeName, uuid]`, its cursors base64 JSON `[orderDigest,
 * createdAt, id]` with microseconds; its latest version is a connection of at most one, with the
 * semantic version in three numbers.
 */
const postgraphile: Encoding<{ nodes: (Semver & { callability: string })[] }, Semver> = {
  id: (id) => {
    const [typeName, uuid] = JSON.parse(decode(id)) as [string, string];
    return typeName === 'Algorithm' ? uuid : `${typeName}:${uuid}`;
  },
  cursor: (cursor) => (JSON.parse(decode(cursor)) as [string, string, string]).slice(1) as [string, string],
  latestVersion: ({ nodes: [latest] }) => (latest ? { semanticVersion: postgraphile.semanticVersion(latest), callability: latest.callability } : null),
  semanticVersion: ({ major, minor, patch }) => `${major}.${minor}.${patch}`,
};

/**
 * Fails unless algoplane's and PostGraphile's nested lists say the same thing field for field, once
 * each side's encodings are undone, and unless that is a full page of `first`: a baseline that
 * answered less would pass for faster.
 */
export function assertSameCatalogue(algoplaneAnswer: string, postgraphileAnswer: string, first: number): void {
  const ours = catalogueOf(algoplaneAnswer, algoplane);
  if (ours.nodes.length !== first) throw new Error(`algoplane's nested list has ${ours.nodes.length} algorithms, not a full page of ${first}`);
  const [a, b] = [JSON.stringify(ours), JSON.stringify(catalogueOf(postgraphileAnswer, postgraphile))];
  if (a === b) return;
  const differs = [...a].findIndex((char, i) => char !== b[i]);
  const at = differs === -1 ? a.length : differs;
  const around = (text: string) => text.slice(Math.max(0, at - 80), at + 120);
  throw new Error(`PostGraphile and algoplane answer the nested list differently, from character ${at}:\n  algoplane:    …${around(a)}\n  PostGraphile: …${around(b)}`);
}
