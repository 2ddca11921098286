/**
 * The PostGraphile v5 baseline: PostGraphile as its documentation starts it (the amber preset over
 * the database's `public` schema, grafserv on node:http), with nothing of ours in its schema or its
 * plan. bench/run.ts installs PostGraphile into a scratch folder and copies this file there, so every
 * import below resolves from that folder alone and none of the project's packages are mixed in.
 *
 * Plain JavaScript rather than TypeScript: the project does not have PostGraphile's types, and the
 * file runs as it is, like the other servers' compiled output.
 */
import { createServer } from 'node:http';
import { postgraphile } from 'postgraphile';
import { makePgService } from 'postgraphile/adaptors/pg';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { jsonPgSmartTags } from 'postgraphile/utils';

/**
 * PostGraphile offers conditions only on columns it sees an index on, and it does not count partial
 * indexes. `has_public_version` has one (`algorithms_public_created_at_id_idx`, where
 * has_public_version): PostGraphile's `isIndexed` smart tag says so, so that the catalogue can ask
 * for the algorithms with a public version, as a caller who is no owner or member sees them.
 */
const IndexedTags = jsonPgSmartTags({
  version: 1,
  config: { class: { algorithms: { attribute: { has_public_version: { tags: { isIndexed: true } } } } } },
});

const pgl = postgraphile({
  extends: [PostGraphileAmberPreset],
  plugins: [IndexedTags],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ['public'],
      // algoplane's pool size (DATABASE_POOL_SIZE's default), so that neither side has more connections.
      poolConfig: { max: 10 },
    }),
  ],
  // A server, not a development tool: no GraphiQL, no schema watching, no plan explanations.
  grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false },
  grafast: { explain: false },
});

const server = createServer();
server.on('error', (error) => {
  console.error(error);
  process.exit(1);
});
await pgl.createServ(grafserv).addTo(server);
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
