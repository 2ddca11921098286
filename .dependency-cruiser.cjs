/**
 * The import rules of docs/ARCHITECTURE.md, checked by `npm run check:imports` (part of `npm test`'s
 * CI run). Layers, top to bottom; a file may import its own layer and the layers below it:
 *
 *   entry       src/main.ts, src/app.ts, src/bootstrap.ts, src/config.ts
 *   transports  src/graphql/**, src/rest/**, src/authorizer/**, src/modules/<m>/{graphql,rest}.ts
 *   gate        src/gate/**
 *   services    src/modules/<m>/* other than the adapters
 *   auth        src/auth/**
 *   db, core    src/db/**, src/core/**
 *
 * No exceptions: a rule that needs one is a design question for docs/ARCHITECTURE.md, not a line here.
 */
const ADAPTER = '^src/modules/[^/]+/(graphql|rest)\\.ts$';
const SERVICE = '^src/modules/[^/]+/(?!(graphql|rest)\\.ts$)[^/]+\\.ts$';
const ENTRY = '^src/(main|app|bootstrap|config)\\.ts$';
/** Files that build SQL: each module's store, and the visibility predicates of algorithms (SQL by nature). */
const SQL_FILE = '^src/modules/[^/]+/(store|visibility)\\.ts$';
/** A module's files that hold its rules and call its store. */
const SERVICE_ONLY = '^src/modules/[^/]+/(service|catalogue)\\.ts$';

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Import cycles make load order matter and layers meaningless.', from: { path: '^src/' }, to: { circular: true } },
    { name: 'core-is-the-floor', severity: 'error', comment: 'core/ is pure helpers: it imports nothing of the app.', from: { path: '^src/core/' }, to: { path: '^src/', pathNot: '^src/core/' } },
    { name: 'db-only-on-core', severity: 'error', comment: 'db/ (schema, connection, records, SQL helpers) builds on core/ alone.', from: { path: '^src/db/' }, to: { path: '^src/', pathNot: '^src/(db|core)/' } },
    { name: 'auth-only-on-db-and-core', severity: 'error', comment: 'Key format, verification, ACL, origin and escalation rules use only db/ and core/.', from: { path: '^src/auth/' }, to: { path: '^src/', pathNot: '^src/(auth|db|core)/' } },
    { name: 'services-below-transports', severity: 'error', comment: 'Services hold the rules; they know no transport, gate or entry point.', from: { path: SERVICE }, to: { path: `^src/(graphql|gate|rest|authorizer)/|${ADAPTER}|${ENTRY}` } },
    { name: 'gate-below-transports', severity: 'error', comment: 'The gate serves every transport, so it imports none.', from: { path: '^src/gate/' }, to: { path: `^src/(graphql|rest|authorizer)/|${ADAPTER}|${ENTRY}` } },
    { name: 'transports-apart', severity: 'error', comment: 'GraphQL and REST adapters share services and the gate, never each other.', from: { path: '(^src/graphql/|/graphql\\.ts$)' }, to: { path: '(^src/rest/|/rest\\.ts$)' } },
    { name: 'rest-apart', severity: 'error', from: { path: '(^src/rest/|/rest\\.ts$)' }, to: { path: '(^src/graphql/|/graphql\\.ts$)' } },
    { name: 'authorizer-apart', severity: 'error', comment: 'The gateway authorizer shares services and the gate with the other transports, never their code.', from: { path: '^src/authorizer/' }, to: { path: `^src/(graphql|rest)/|${ADAPTER}` } },
    { name: 'others-apart-from-the-authorizer', severity: 'error', from: { path: `^src/(graphql|rest)/|${ADAPTER}` }, to: { path: '^src/authorizer/' } },
    { name: 'adapters-through-services', severity: 'error', comment: 'Resolvers and handlers translate; SQL and tables stay in services and stores.', from: { path: `${ADAPTER}|^src/(graphql|rest|authorizer)/` }, to: { path: '^src/db/(schema|compiled|any)\\.ts$' } },
    { name: 'only-the-schema-gathers-modules', severity: 'error', comment: 'graphql/ infrastructure is below the modules that use it; schema.ts alone imports them all.', from: { path: '^src/graphql/', pathNot: '^src/graphql/schema\\.ts$' }, to: { path: ADAPTER } },
    { name: 'only-the-routes-gather-modules', severity: 'error', comment: 'rest/ infrastructure is below the modules that use it; routes.ts alone imports them all.', from: { path: '^src/rest/', pathNot: '^src/rest/routes\\.ts$' }, to: { path: ADAPTER } },
    { name: 'entry-points-are-tops', severity: 'error', comment: 'Nothing inside imports the wiring.', from: { path: '^src/', pathNot: ENTRY }, to: { path: ENTRY } },
    {
      name: 'sql-only-in-stores',
      severity: 'error',
      comment: 'SQL is built in db/ and in stores alone (a module\'s store.ts, its visibility predicates, auth/key-store.ts), so no file mixes SQL with rules.',
      from: { path: '^src/', pathNot: `^src/db/|^src/auth/key-store\\.ts$|${SQL_FILE}` },
      to: { path: ['^node_modules/drizzle-orm/', '^src/db/(schema|keyset|any|like)\\.ts$'] },
    },
    {
      name: 'stores-know-no-rules',
      severity: 'error',
      comment: 'A store reads and writes rows (it may use record types and the principal\'s ids); rules, permissions and audit are the services\'.',
      from: { path: SQL_FILE },
      to: { path: `^src/(gate|graphql|rest)/|${SERVICE_ONLY}|${ADAPTER}|${ENTRY}` },
    },
    { name: 'no-orphans', severity: 'error', comment: 'A file nothing imports is dead code.', from: { orphan: true, path: '^src/', pathNot: '^src/main\\.ts$' }, to: {} },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js'] },
  },
};
