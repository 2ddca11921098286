import { readFileSync } from 'node:fs';
const dist = process.argv[2] ?? 'dist-new';
const { loadConfig } = await import(`/work/main/${dist}/config.js`);
const { createApp } = await import(`/work/main/${dist}/app.js`);
const key = readFileSync('/work/main/.ab/key', 'utf8').trim();
const config = loadConfig({ ...process.env, DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/algoplane_ab', LOG_LEVEL: 'info' });
const app = await createApp(config);
const body = JSON.stringify({ query: 'query Viewer { viewer { key { name kind } owner { name } } }' });
const init = { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Simple ${key}` } };
import { createSchema, createYoga } from 'graphql-yoga';
const stock = createYoga({ schema: createSchema({ typeDefs: 'type Query { hello: String! }', resolvers: { Query: { hello: () => 'world' } } }), logging: false });
const helloInit = { method: 'POST', body: JSON.stringify({ query: '{ hello }' }), headers: { 'content-type': 'application/json', authorization: `Simple ${key}` } };
async function runStock(n: number) { const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) { const r = await stock.fetch('http://127.0.0.1/graphql', helloInit); await r.text(); } return Number(process.hrtime.bigint() - t) / n / 1000; }
async function run(n: number) { const t = process.hrtime.bigint(); for (let i = 0; i < n; i++) { const r = await app.yoga.fetch('http://127.0.0.1/graphql', init); await r.text(); } return Number(process.hrtime.bigint() - t) / n / 1000; }
const first = await app.yoga.fetch('http://127.0.0.1/graphql', init); console.error(first.status, (await first.text()).slice(0, 120));
await run(5000);
await runStock(5000);
const res = [], st = []; for (let i = 0; i < Number(process.env.ROUNDS ?? 7); i++) { res.push(await run(5000)); st.push(await runStock(5000)); }
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.error('viewer µs/req', res.map((x) => x.toFixed(1)).join(' '), 'median', med(res).toFixed(1));
console.error('stock  µs/req', st.map((x) => x.toFixed(1)).join(' '), 'median', med(st).toFixed(1), 'ratio', (med(st) / med(res)).toFixed(2));
await app.close(); process.exit(0);
