// Drives Algorithmia's management sequence with the official Node client (algorithmia-nodejs
// @6a46ecc9, TypeScript source built unchanged into algorithmia-nodejs/lib) against ALGO_BASE,
// and prints PASS/FAIL per step.
//
//   ALGO_BASE=http://127.0.0.1:4111 ALGO_USER=… ALGO_KEY=sim… ALGO_ADMIN_KEY=adm… node run-node.mjs
//
// The checks are the ones the client's own tests make (test/AlgorithmiaClient.test.ts) plus what
// REST-CONTRACT.md promises for the same calls. The client returns body text and never exposes the
// status, so statuses are observed on node:http's diagnostics channels (read-only). ALGO_TRACE=0
// hides the wire trace.
import { createRequire } from 'node:module';
import diagnostics from 'node:diagnostics_channel';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const lib = process.env.ALGO_NODE_CLIENT || path.join(here, 'algorithmia-nodejs', 'lib');
const { AlgorithmiaClient } = require(path.join(lib, 'index.js'));
const { OrgType } = require(path.join(lib, 'Algorithm.js'));

const BASE = (process.env.ALGO_BASE || '').replace(/\/+$/, '');
const USER = process.env.ALGO_USER || '';
const KEY = process.env.ALGO_KEY || '';
const ADMIN_KEY = process.env.ALGO_ADMIN_KEY || '';
const TRACE = process.env.ALGO_TRACE !== '0';
if (!BASE || !USER || !KEY || !ADMIN_KEY) {
  console.error('set ALGO_BASE, ALGO_USER, ALGO_KEY, ALGO_ADMIN_KEY (see README.md / setup.sh)');
  process.exit(2);
}

const HEX40 = /^[0-9a-f]{40}$/;
const stamp = String(Math.floor(Date.now() / 1000));
const ALGO = `nodeharness_${stamp}`;
const ORG = `NodeHarnessOrg${stamp}`;

// Never print a secret: scheme plus the key's three-letter kind prefix.
const mask = (value) => {
  const parts = String(value).split(' ');
  const secret = parts.pop();
  return [...parts, `${secret.slice(0, 3)}…(${secret.length} chars)`].join(' ');
};
const short = (text, limit = 400) => {
  const s = typeof text === 'string' ? text : JSON.stringify(text);
  return s === undefined ? String(s) : s.length <= limit ? s : `${s.slice(0, limit)}…`;
};

const exchanges = [];
diagnostics.subscribe('http.client.response.finish', ({ request, response }) => {
  const headers = {};
  for (const [k, v] of Object.entries(request.getHeaders())) {
    if (['authorization', 'content-type', 'accept', 'content-length', 'user-agent'].includes(k)) {
      headers[k] = k === 'authorization' ? mask(v) : v;
    }
  }
  exchanges.push({ method: request.method, path: request.path, status: response.statusCode });
  if (TRACE) {
    console.log(`    > ${request.method} ${request.path} ${JSON.stringify(headers)}`);
    console.log(`    < ${response.statusCode} ct=${response.headers['content-type']}`);
  }
});
const lastStatus = () => (exchanges.length ? exchanges[exchanges.length - 1].status : undefined);

const std = new AlgorithmiaClient(KEY, BASE);
const admin = new AlgorithmiaClient(ADMIN_KEY, BASE);
const results = [];
const state = {};

class Check extends Error {}
const expect = (cond, message) => {
  if (!cond) throw new Check(typeof message === 'function' ? message() : message);
};
// The client hands back body text; a step that needs JSON says so when it is not.
const parse = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    throw new Check(`answer is not JSON (HTTP ${lastStatus()}): ${short(text, 200)}`);
  }
};
const obj = (text) => {
  const value = typeof text === 'string' ? parse(text) : text;
  expect(value && typeof value === 'object' && !Array.isArray(value),
    () => `answer is not a JSON object (HTTP ${lastStatus()}): ${short(value, 200)}`);
  return value;
};

async function step(name, fn) {
  console.log(`\n== ${name}`);
  try {
    const detail = (await fn()) || '';
    results.push([name, true, detail]);
    console.log(`   PASS ${detail}`);
  } catch (e) {
    const text = e instanceof Check ? e.message : `client raised ${e && e.name}: ${short(e && e.message, 300)}`;
    results.push([name, false, text]);
    console.log(`   FAIL ${text}`);
  }
}
const na = (name, why) => {
  console.log(`\n== ${name}\n   N/A ${why}`);
  results.push([name, null, why]);
};

await step('1 create algorithm  createAlgo(user, {details, name, settings})', async () => {
  // The body the client's own test sends (test/TestUtils.ts createTestAlgo).
  const r = obj(await std.createAlgo(USER, {
    details: { label: 'Node harness' },
    name: ALGO,
    settings: {
      environment: 'cpu', language: 'python3-1', license: 'apl', network_access: 'full',
      pipeline_enabled: true, source_visibility: 'closed',
    },
  }));
  expect(r.name === ALGO, () => `name ${r.name} != ${ALGO}`);
  expect(typeof r.id === 'string' && r.id.length === 36, () => `id is not a 36-char uuid: ${r.id}`);
  expect(lastStatus() === 201, () => `status ${lastStatus()} != 201 (contract; the client ignores it)`);
  state.id = r.id;
  return `201 id=${r.id}`;
});

await step('2 get algorithm  getAlgo(user, name)', async () => {
  const r = obj(await std.getAlgo(USER, ALGO));
  expect(r.name === ALGO, () => `name ${r.name} != ${ALGO}`);
  expect(r.id === state.id, () => `id ${r.id} != created id ${state.id}`);
  return 'name and id match';
});

await step('3 compile  buildAlgo(user, name)', async () => {
  const r = obj(await std.buildAlgo(USER, ALGO));
  const gitHash = r.version_info && r.version_info.git_hash;
  expect(r.name === ALGO, () => `name ${r.name} != ${ALGO}`);
  expect(typeof gitHash === 'string' && HEX40.test(gitHash), () => `version_info.git_hash not 40 hex: ${gitHash}`);
  state.compileHash = gitHash;
  return `git_hash=${gitHash}`;
});

// publishAlgo always sends version_type "revision": 0.0.1 then 0.0.2 (the client cannot ask for minor).
await step('4 publish  publishAlgo(user, name) -> 0.0.1 (revision)', async () => {
  const r = obj(await std.publishAlgo(USER, ALGO));
  const vi = r.version_info || {};
  expect(vi.semantic_version === '0.0.1', () => `semantic_version ${vi.semantic_version} != 0.0.1 (HTTP ${lastStatus()})`);
  expect(vi.git_hash === state.compileHash, () => `git_hash ${vi.git_hash} is not the compiled hash ${state.compileHash}`);
  state.firstHash = vi.git_hash;
  return `0.0.1 git_hash=${vi.git_hash}`;
});

await step('5 publish again  publishAlgo(user, name) -> 0.0.2 (revision)', async () => {
  const r = obj(await std.publishAlgo(USER, ALGO));
  const vi = r.version_info || {};
  expect(vi.semantic_version === '0.0.2', () => `semantic_version ${vi.semantic_version} != 0.0.2 (HTTP ${lastStatus()})`);
  expect(typeof vi.git_hash === 'string' && HEX40.test(vi.git_hash) && vi.git_hash !== state.firstHash,
    () => `git_hash ${vi.git_hash} not a fresh 40-hex hash`);
  return `0.0.2 git_hash=${vi.git_hash}`;
});

await step('6 list versions  listAlgoVersions(user, name, callable=false)', async () => {
  // As the client's test: callable=false (private versions), limit=50, published=true.
  const r = obj(await std.listAlgoVersions(USER, ALGO, false));
  expect(Array.isArray(r.results), () => `no results array: ${short(r, 200)}`);
  const sems = r.results.map((v) => v.version_info && v.version_info.semantic_version);
  expect(JSON.stringify(sems) === '["0.0.2","0.0.1"]', () => `semantic versions newest first ${JSON.stringify(sems)} != ["0.0.2","0.0.1"]`);
  expect(r.marker === null && r.next_link === null, 'marker/next_link not null on the last page');
  return `results=${JSON.stringify(sems)}`;
});

await step('6b list versions with defaults  listAlgoVersions(user, name) [callable=true]', async () => {
  const r = obj(await std.listAlgoVersions(USER, ALGO));
  expect(Array.isArray(r.results) && r.results.length === 0,
    () => `callable=true should list no private versions: ${short(r, 200)}`);
  return '0 public versions';
});

na('7 get version by hash', 'the Node client has no call for GET …/versions/{hash}');

await step('8 get org types  admin.getOrgTypes()', async () => {
  const r = await admin.getOrgTypes();
  expect(Array.isArray(r), () => `answer is not a bare array: ${short(r, 200)}`);
  const names = r.map((t) => t.name).sort();
  expect(['basic', 'legacy', 'pro'].every((n) => names.includes(n)), () => `type names ${names} lack basic/legacy/pro`);
  state.types = Object.fromEntries(r.map((t) => [t.name, t.id]));
  return `names=${names}`;
});

await step('9 create org  admin.createOrganization({...}, OrgType.Legacy)', async () => {
  // The body the client's own test sends, resource_type included.
  const r = obj(await admin.createOrganization({
    org_contact_name: 'some owner',
    org_email: `${ORG}@example.com`,
    org_label: 'Node harness org',
    org_name: ORG,
    org_url: 'https://algorithmia.com',
    resource_type: 'organization',
  }, OrgType.Legacy));
  expect(r.org_name === ORG, () => `org_name ${r.org_name} != ${ORG}`);
  return `org_name=${ORG}`;
});

await step('10 get org  admin.getOrganization(org)', async () => {
  const r = obj(await admin.getOrganization(ORG));
  expect(r.org_name === ORG, () => `org_name ${r.org_name} != ${ORG} (HTTP ${lastStatus()})`);
  expect(state.types && r.type_id === state.types.legacy, () => `type_id ${r.type_id} is not legacy's uuid`);
  state.org = r;
  return "type_id=legacy's uuid";
});

await step('11 edit org  admin.editOrganization(org, JSON.stringify(whole GET answer, new email))', async () => {
  expect(state.org, 'no organization from step 10');
  const edited = { ...state.org, org_email: 'SomeOtherEmail@example.com' };
  const body = await admin.editOrganization(ORG, JSON.stringify(edited));
  expect(body === '', () => `body ${short(JSON.stringify(body), 200)} != '' (HTTP ${lastStatus()})`);
  expect(lastStatus() === 204, () => `status ${lastStatus()} != 204`);
  const after = obj(await admin.getOrganization(ORG));
  expect(after.org_email === 'SomeOtherEmail@example.com', () => `org_email after edit ${after.org_email}`);
  return '204, org_email changed';
});

na('12 add member', 'the Node client has no call for PUT /v1/organizations/{org}/members/{user}');

await step('13 delete algorithm  deleteAlgo(user, name)', async () => {
  const body = await std.deleteAlgo(USER, ALGO);
  expect(body === '', () => `body ${short(JSON.stringify(body), 200)} != '' (HTTP ${lastStatus()})`);
  expect(lastStatus() === 204, () => `status ${lastStatus()} != 204`);
  return '204 empty';
});

await step('14 get deleted algorithm  getAlgo(user, name)', async () => {
  const body = await std.getAlgo(USER, ALGO);
  expect(body === '{"error":"No such algorithm"}', () => `body ${short(JSON.stringify(body), 200)} != {"error":"No such algorithm"}`);
  expect(lastStatus() === 404, () => `status ${lastStatus()} != 404`);
  return '404 {"error":"No such algorithm"}';
});

await step('15 delete org (cleanup)  admin.deleteOrganization(org)', async () => {
  const body = await admin.deleteOrganization(ORG);
  expect(body === '' && lastStatus() === 204, () => `want 204 '', got HTTP ${lastStatus()} ${short(JSON.stringify(body), 200)}`);
  return '204';
});

console.log(`\n== summary (node client, ${BASE}, algo ${USER}/${ALGO}, org ${ORG})`);
for (const [name, ok, detail] of results) {
  console.log(`${ok === null ? 'N/A ' : ok ? 'PASS' : 'FAIL'}  ${name}${ok ? '' : `  -- ${detail}`}`);
}
const ran = results.filter(([, ok]) => ok !== null);
const failed = ran.filter(([, ok]) => !ok).length;
console.log(`${ran.length - failed}/${ran.length} steps passed (${results.length - ran.length} N/A)`);
process.exit(failed ? 1 : 0);
