/**
 * Algorithms over Algorithmia's REST API (docs/REST.md): create, read, update, compile, publish,
 * list versions, read a version by git hash, delete, and a user's algorithm list. Each handler
 * finds the algorithm through the request's Catalogue (what the key may see) and calls the same
 * service GraphQL calls; what is here is only the translation between Algorithmia's snake_case
 * objects and the services' records.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { errorResponse, jsonBody, jsonResponse, originOf, serve, type ErrorMapping, type RestApp } from '../../rest/api.js';
import { MAX_NAME_LENGTH } from '../../core/names.js';
import { restError } from '../../rest/envelope.js';
import { restEnum } from '../../rest/enums.js';
import { pagedResults, pageQuery, restPage } from '../../rest/paging.js';
import { MAX_PAGE_SIZE } from '../../core/pagination.js';
import { Catalogue, type AlgorithmView } from './catalogue.js';
import { ENUMS, type AlgorithmRecord, type AlgorithmSummary, type Details, type Settings, type VersionContents, type VersionRecord } from './model.js';
import { compileAlgorithm, createAlgorithm, deleteAlgorithm, publishAlgorithm, updateAlgorithm } from './service.js';
import { findOwner } from './store.js';

// ---------------------------------------------------------------------------------------------
// Enums and objects as Algorithmia spells them

const LICENSE = restEnum(ENUMS.license);
const NETWORK_ACCESS = restEnum(ENUMS.networkAccess);
const SOURCE_VISIBILITY = restEnum(ENUMS.sourceVisibility);
const LANGUAGE = restEnum(ENUMS.language, { PYTHON3: 'python3-1', PYTHON2: 'python2-langpack' });
const ENVIRONMENT = restEnum(ENUMS.environment);
const CALLABILITY = restEnum(ENUMS.callability);
// Algorithmia's docs call the smallest bump `patch`; its spec, `revision`.
const VERSION_TYPE = restEnum(ENUMS.versionType, {}, { patch: 'REVISION' });

const restEnumSchema = (values: readonly string[]) => z.enum(values as [string, ...string[]]);

const detailsSchema = z
  .object({
    label: z.string().openapi({ description: 'The display name. Required on create.', example: 'My First Algorithm' }),
    summary: z.string().nullable().optional(),
    tagline: z.string().nullable().optional(),
  })
  .openapi('Details');

const settingsSchema = z
  .object({
    algorithm_callability: restEnumSchema(CALLABILITY.values).openapi({ description: "The latest version's callability: private until published public." }),
    source_visibility: restEnumSchema(SOURCE_VISIBILITY.values),
    license: restEnumSchema(LICENSE.values),
    network_access: restEnumSchema(NETWORK_ACCESS.values),
    pipeline_enabled: z.boolean(),
    royalty_microcredits: z.number().int(),
    language: restEnumSchema(LANGUAGE.values).nullable(),
    environment: restEnumSchema(ENVIRONMENT.values).nullable(),
    package_set: z.string().nullable(),
  })
  .openapi('Settings');

const SCM = { scm: { id: 'internal', provider: 'internal', default: true, enabled: true } };

const algorithmSchema = z
  .object({
    id: z.uuid().openapi({ description: "The algorithm's immutable id (not the GraphQL global id)." }),
    name: z.string(),
    details: detailsSchema,
    settings: settingsSchema,
    source: z.object({ scm: z.object({ id: z.string(), provider: z.string(), default: z.boolean(), enabled: z.boolean() }) }),
    self_link: z.string(),
    resource_type: z.literal('algorithm'),
  })
  .openapi('Algorithm');

const versionInfoSchema = z
  .object({
    semantic_version: z.string().nullable().openapi({ description: 'Null for an algorithm never published.' }),
    git_hash: z.string().nullable().openapi({ description: "The version's 40-hex hash; on an algorithm, the pending build's (from compile) or the latest version's." }),
    version_uuid: z.uuid().nullable(),
    release_notes: z.string().nullable(),
    sample_input: z.string().nullable(),
    sample_output: z.string().nullable(),
  })
  .openapi('VersionInfo');

const buildSchema = z
  .object({
    build_id: z.string(),
    status: z.literal('succeeded'),
    commit_sha: z.string(),
    started_at: z.string(),
    finished_at: z.string(),
    resource_type: z.literal('algorithm_build'),
    version_info: z.object({ semantic_version: z.string().nullable() }),
  })
  .openapi('Build');

const versionSchema = algorithmSchema
  .extend({
    version_info: versionInfoSchema,
    build: buildSchema.nullable().openapi({ description: 'Null until the algorithm is compiled or published: there is nothing built yet.' }),
    compilation: z.object({ successful: z.boolean(), output: z.string() }).openapi('Compilation'),
  })
  .openapi('Version');

/** Where an algorithm (or one of its versions) lives under /v1. */
const algorithmLink = (base: string, algorithm: AlgorithmSummary) => `${base}/v1/algorithms/${algorithm.ownerName}/${algorithm.name}`;

function settingsOf(settings: Settings, callability: VersionRecord['callability']): z.infer<typeof settingsSchema> {
  return {
    algorithm_callability: CALLABILITY.toRest(callability),
    source_visibility: SOURCE_VISIBILITY.toRest(settings.sourceVisibility),
    license: LICENSE.toRest(settings.license),
    network_access: NETWORK_ACCESS.toRest(settings.networkAccess),
    pipeline_enabled: settings.pipelineEnabled,
    royalty_microcredits: settings.royaltyMicrocredits,
    language: settings.language ? LANGUAGE.toRest(settings.language) : null,
    environment: settings.environment ? ENVIRONMENT.toRest(settings.environment) : null,
    package_set: settings.packageSet,
  };
}

const detailsOf = (details: Details) => ({ label: details.label, summary: details.summary, tagline: details.tagline });

function algorithmOf(base: string, algorithm: AlgorithmSummary, view: Pick<AlgorithmView, 'details' | 'settings' | 'callability'>) {
  return {
    id: algorithm.id,
    name: algorithm.name,
    details: detailsOf(view.details),
    settings: settingsOf(view.settings, view.callability),
    source: SCM,
    self_link: algorithmLink(base, algorithm),
    resource_type: 'algorithm' as const,
  };
}

/** A no-op build that "built" `gitHash` at `at` (algoplane hosts no code: compiling only names the next version). */
const buildOf = (gitHash: string, at: Date, semanticVersion: string | null) => ({
  build_id: gitHash,
  status: 'succeeded' as const,
  commit_sha: gitHash,
  started_at: at.toISOString(),
  finished_at: at.toISOString(),
  resource_type: 'algorithm_build' as const,
  version_info: { semantic_version: semanticVersion },
});

const COMPILED = { successful: true, output: '' };

/** A published version, as it was published. */
function versionOf(base: string, algorithm: AlgorithmSummary, version: VersionRecord, contents: VersionContents) {
  return {
    ...algorithmOf(base, algorithm, { ...contents, callability: version.callability }),
    version_info: {
      semantic_version: version.semanticVersion,
      git_hash: version.gitHash,
      version_uuid: version.id,
      release_notes: contents.releaseNotes,
      sample_input: contents.sampleInput,
      sample_output: contents.sampleOutput,
    },
    build: buildOf(version.gitHash, version.publishedAt, version.semanticVersion),
    compilation: COMPILED,
    self_link: `${algorithmLink(base, algorithm)}/versions/${version.gitHash}`,
  };
}

/** The algorithm as it is now, as a version object: its pending build (if compiled since the last publish) or its latest version. */
async function currentOf(base: string, catalogue: Catalogue, algorithm: AlgorithmSummary) {
  const [view, latest] = await Promise.all([catalogue.view(algorithm), catalogue.latestVersion(algorithm)]);
  const gitHash = view.pendingBuildHash ?? latest?.gitHash ?? null;
  const builtAt = view.pendingBuildHash ? view.updatedAt : latest?.publishedAt;
  return {
    ...algorithmOf(base, algorithm, view),
    version_info: {
      semantic_version: latest?.semanticVersion ?? null,
      git_hash: gitHash,
      version_uuid: view.pendingBuildHash ? null : (latest?.id ?? null),
      release_notes: null,
      sample_input: view.sampleInput,
      sample_output: null,
    },
    build: gitHash && builtAt ? buildOf(gitHash, builtAt, view.pendingBuildHash ? null : (latest?.semanticVersion ?? null)) : null,
    compilation: COMPILED,
  };
}

// ---------------------------------------------------------------------------------------------
// Requests

const ownerParam = z.string().max(MAX_NAME_LENGTH).openapi({ param: { name: 'username', in: 'path' }, description: 'The user or organization that owns the algorithm.' });
const nameParam = z.string().max(MAX_NAME_LENGTH).openapi({ param: { name: 'algoname', in: 'path' }, description: "The algorithm's name." });
const algorithmParams = z.object({ username: ownerParam, algoname: nameParam });

// Request objects accept fields they do not know (Algorithmia's clients send `source`,
// `scmsCredentials`, `insights_enabled`, whole answers back): ignored, never an error.
const detailsInput = z
  .object({ label: z.string().optional(), summary: z.string().nullish(), tagline: z.string().nullish() })
  .loose()
  .openapi('DetailsInput');

/** What a request may say of the settings; which are required, or read, depends on the call. */
const settingsFields = {
  source_visibility: SOURCE_VISIBILITY.schema.optional(),
  license: LICENSE.schema.optional(),
  licence: LICENSE.schema.optional().openapi({ description: 'Accepted as `license` (older Java clients spelled it so).' }),
  network_access: NETWORK_ACCESS.schema.optional(),
  pipeline_enabled: z.boolean().optional(),
  language: LANGUAGE.schema.nullish(),
  environment: ENVIRONMENT.schema.nullish(),
  package_set: z.string().nullish(),
};

const readOnly = (description: string) => z.unknown().optional().openapi({ description: `Read-only here, and ignored: ${description}` });
const ROYALTIES = z.number().int().optional().openapi({ description: 'Microcredits per call, 0 or more.' });
const CALLABILITY_READ_ONLY = readOnly('callability changes when a version is published.');

// Algorithmia's spec requires these four on create (its `SettingsMandatory`).
const createSettings = z
  .object({ ...settingsFields, royalty_microcredits: ROYALTIES, algorithm_callability: CALLABILITY_READ_ONLY })
  .loose()
  .superRefine((settings, context) => {
    const given = { ...settings, license: settings.license ?? settings.licence };
    for (const field of ['source_visibility', 'license', 'network_access', 'pipeline_enabled'] as const) {
      if (given[field] === undefined) context.addIssue({ code: 'custom', path: [field], message: 'is required' });
    }
  })
  .openapi('SettingsMandatory', { required: ['source_visibility', 'license', 'network_access', 'pipeline_enabled'] });

const updateSettings = z
  .object({ ...settingsFields, royalty_microcredits: readOnly('royalties are not changed by an update.'), algorithm_callability: CALLABILITY_READ_ONLY })
  .loose()
  .openapi('SettingsUpdate');

const publishSettings = z
  .object({
    ...settingsFields,
    royalty_microcredits: ROYALTIES,
    algorithm_callability: CALLABILITY.schema.optional().openapi({ description: "The new version's callability; changing it needs `version_type: major`." }),
  })
  .loose()
  .openapi('SettingsPublish');

const sampleInput = z.object({ sample_input: z.string().nullish() }).loose();

const createBody = z
  .object({ name: z.string(), details: detailsInput, settings: createSettings, version_info: sampleInput.optional() })
  .loose()
  .openapi('CreateAlgorithmRequest');

const updateBody = z
  .object({ details: detailsInput.partial().optional(), settings: updateSettings.optional(), version_info: sampleInput.optional() })
  .loose()
  .openapi('UpdateAlgorithmRequest');

const publishBody = z
  .object({
    details: detailsInput.partial().optional(),
    settings: publishSettings.optional(),
    version_info: z
      .object({
        version_type: VERSION_TYPE.schema.optional().openapi({ description: '`major`, `minor` (the default) or `revision` (also `patch`).' }),
        type: VERSION_TYPE.schema.optional().openapi({ description: 'An older name for `version_type`.' }),
        release_notes: z.string().nullish(),
        sample_input: z.string().nullish(),
        sample_output: z.string().nullish(),
      })
      .loose()
      .optional(),
  })
  .loose()
  .openapi('PublishRequest');

/** REST settings as the services take them; royalties only where the call sets them (create, publish). */
const settingsInputOf = (settings: (z.infer<typeof updateSettings> & { royalty_microcredits?: unknown }) | undefined) =>
  settings && {
    license: settings.license ?? settings.licence,
    networkAccess: settings.network_access,
    pipelineEnabled: settings.pipeline_enabled,
    sourceVisibility: settings.source_visibility,
    language: settings.language,
    environment: settings.environment,
    packageSet: settings.package_set,
    royaltyMicrocredits: typeof settings.royalty_microcredits === 'number' ? settings.royalty_microcredits : undefined,
  };

/** A create or update body as the services take it; an update leaves royalties as they are (read-only there). */
const algorithmInputOf = (body: z.infer<typeof updateBody>, call: 'create' | 'update') => ({
  details: body.details,
  settings: settingsInputOf(body.settings && (call === 'create' ? body.settings : { ...body.settings, royalty_microcredits: undefined })),
  versionInfo: body.version_info && { sampleInput: body.version_info.sample_input },
});

/** An algorithm a change returned: its state as it is now. */
const changedOf = (base: string, algorithm: AlgorithmRecord) => algorithmOf(base, algorithm, { details: algorithm, settings: algorithm, callability: algorithm.callability });

const ERRORS: ErrorMapping = {
  invalid: 'invalidInput',
  notFound: { owner: 'userNotFound', '*': 'algorithmNotFound' },
  conflict: { name: [400, 'algorithmNameTaken'] },
  fields: {
    owner: 'username',
    callability: 'settings.algorithm_callability',
    versionType: 'version_info.version_type',
    releaseNotes: 'version_info.release_notes',
    sampleInput: 'version_info.sample_input',
    sampleOutput: 'version_info.sample_output',
    'settings.packageSet': 'settings.package_set',
  },
};

const notFound = errorResponse('No such algorithm that this key may see.');

/** The algorithm `{username}/{algoname}` as the caller sees it, or 404 (existence of what it may not see is never told). */
async function visibleAlgorithm(catalogue: Catalogue, params: { username: string; algoname: string }) {
  const algorithm = await catalogue.byName(params.username, params.algoname);
  if (!algorithm) throw restError(404, 'algorithmNotFound');
  return algorithm;
}

/** A boolean query parameter, as clients spell it (Python's `str(True)` is `True`). */
const QUERY_FLAG = z.enum(['true', 'false', 'True', 'False']);
const flag = (value: string | undefined): boolean | null => (value === undefined ? null : value.toLowerCase() === 'true');

/** A bare array, as Algorithmia's spec has it, so bounded: an owner's first thousand. */
const MAX_USER_ALGORITHMS = 1000;

// ---------------------------------------------------------------------------------------------
// Routes

export function algorithmRoutes(app: RestApp): void {
  const tags = ['algorithms'];

  serve(
    app,
    {
      route: createRoute({
        operationId: 'createAlgorithm',
        method: 'post',
        path: '/v1/algorithms/{username}',
        tags,
        summary: 'Create an algorithm',
        description: 'Needs a standard key with "manage my algorithms", acting for its own user or an organization it belongs to.',
        request: { params: z.object({ username: ownerParam }), ...jsonBody(createBody) },
        responses: { 201: jsonResponse(algorithmSchema, 'The created algorithm.'), 400: errorResponse('The input breaks a rule (the message names the field), or the name is taken (1002).'), 404: errorResponse('No such user or organization (3000).'), 409: errorResponse('The owner holds as many algorithms as the server allows (2015; the message names the quota and its limit).') },
      }),
      plane: 'standard',
      errors: ERRORS,
    },
    async (c) => {
      const { username } = c.req.valid('param');
      const body = c.req.valid('json');
      const { db, principal, callSheets } = c.env;
      const { algorithm } = await createAlgorithm(db, principal, { owner: username, name: body.name, ...algorithmInputOf(body, 'create') }, callSheets);
      return c.json(changedOf(originOf(c), algorithm), 201);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        operationId: 'getAlgorithm',
        method: 'get',
        path: '/v1/algorithms/{username}/{algoname}',
        tags,
        summary: 'An algorithm as it is now',
        description:
          'Owners and members (with a key that may manage algorithms, or whose whitelist covers it) see its current state and pending build; everyone else sees it as its latest public version published it. Not found (and not visible) answers `{"error":"No such algorithm"}`, as Algorithmia always did.',
        request: { params: algorithmParams },
        responses: {
          200: jsonResponse(versionSchema, 'The algorithm.'),
          404: jsonResponse(z.object({ error: z.literal('No such algorithm') }).openapi('NoSuchAlgorithm'), 'No such algorithm that this key may see.'),
        },
      }),
      plane: 'standard',
      errors: ERRORS,
    },
    async (c) => {
      const catalogue = new Catalogue(c.env.db, c.env.principal);
      const { username, algoname } = c.req.valid('param');
      const algorithm = await catalogue.byName(username, algoname);
      if (!algorithm) return c.json({ error: 'No such algorithm' as const }, 404);
      return c.json(await currentOf(originOf(c), catalogue, algorithm), 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        operationId: 'updateAlgorithm',
        method: 'put',
        path: '/v1/algorithms/{username}/{algoname}',
        tags,
        summary: 'Change an algorithm',
        description: 'Fields left out keep their value. Callability changes when a version is published; royalties are not set here.',
        request: { params: algorithmParams, ...jsonBody(updateBody) },
        responses: { 200: jsonResponse(algorithmSchema, 'The changed algorithm.'), 400: errorResponse('The input breaks a rule; the message names the field.'), 404: notFound },
      }),
      plane: 'standard',
      errors: ERRORS,
    },
    async (c) => {
      const { db, principal } = c.env;
      const found = await visibleAlgorithm(new Catalogue(db, principal), c.req.valid('param'));
      const body = c.req.valid('json');
      const { algorithm } = await updateAlgorithm(db, principal, { id: found.id, ...algorithmInputOf(body, 'update') });
      return c.json(changedOf(originOf(c), algorithm), 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        operationId: 'deleteAlgorithm',
        method: 'delete',
        path: '/v1/algorithms/{username}/{algoname}',
        tags,
        summary: 'Delete an algorithm',
        description: 'Not once it has a public version: callers may depend on it (an admin can, through GraphQL).',
        request: { params: algorithmParams },
        responses: { 204: { description: 'Deleted.' }, 404: notFound },
      }),
      plane: 'standard',
      errors: ERRORS,
    },
    async (c) => {
      const { db, principal, callSheets } = c.env;
      const found = await visibleAlgorithm(new Catalogue(db, principal), c.req.valid('param'));
      await deleteAlgorithm(db, principal, { id: found.id }, callSheets);
      return c.body(null, 204);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        operationId: 'compileAlgorithm',
        method: 'post',
        path: '/v1/algorithms/{username}/{algoname}/compile',
        tags,
        summary: 'Compile (a build that names the next version)',
        description:
          'algoplane hosts no code, so nothing is built: the answer names the git hash the next publish will give its version, the same until a publish uses it. A JSON body (Algorithmia\'s `BuildRequest`) is accepted and ignored; no body is fine.',
        request: { params: algorithmParams },
        responses: { 200: jsonResponse(versionSchema, 'The algorithm, with its pending build.'), 404: notFound },
      }),
      plane: 'standard',
      errors: ERRORS,
    },
    async (c) => {
      const { db, principal } = c.env;
      const catalogue = new Catalogue(db, principal);
      const found = await visibleAlgorithm(catalogue, c.req.valid('param'));
      const { algorithm } = await compileAlgorithm(db, principal, { id: found.id });
      catalogue.changed(algorithm);
      return c.json(await currentOf(originOf(c), catalogue, algorithm), 200);
    },
  );

  for (const [path, operationId] of [
    ['/v1/algorithms/{username}/{algoname}/versions', 'publishAlgorithm'],
    ['/v1/algorithms/{username}/{algoname}/version', 'publishAlgorithmVersion'],
  ] as const) {
    serve(
      app,
      {
        route: createRoute({
          operationId,
          method: 'post',
          path,
          tags,
          summary: 'Publish the next version',
          description:
            'Publishes the algorithm, with the `details` and `settings` sent applied first (in the same transaction, as PUT would). `version_type` bumps the last version (none yet: 0.0.0): `minor` when absent. Callability stays unless `settings.algorithm_callability` changes it, which needs `major`. The version takes the pending build\'s git hash (from compile), or a new one. `…/version` is the same call, as the Node and Java clients spell it.',
          request: { params: algorithmParams, ...jsonBody(publishBody) },
          responses: {
            200: jsonResponse(versionSchema, 'The new version.'),
            400: errorResponse('The input breaks a rule; the message names the field.'),
            404: notFound,
            409: errorResponse('The algorithm has as many versions as the server allows (2015; the message names the quota and its limit).'),
          },
        }),
        plane: 'standard',
        errors: ERRORS,
      },
      async (c) => {
        const { db, principal, callSheets } = c.env;
        const catalogue = new Catalogue(db, principal);
        const found = await visibleAlgorithm(catalogue, c.req.valid('param'));
        const { details, settings, version_info: info } = c.req.valid('json');
        const { algorithm, version } = await publishAlgorithm(db, principal, {
          id: found.id,
          details,
          settings: settingsInputOf(settings),
          versionType: info?.version_type ?? info?.type ?? 'MINOR',
          callability: settings?.algorithm_callability,
          releaseNotes: info?.release_notes,
          sampleInput: info?.sample_input,
          sampleOutput: info?.sample_output,
        }, callSheets);
        catalogue.changed(algorithm);
        return c.json(versionOf(originOf(c), algorithm, version, await catalogue.contents(version)), 200);
      },
    );
  }

  serve(
    app,
    {
      route: createRoute({
        operationId: 'listAlgorithmVersions',
        method: 'get',
        path: '/v1/algorithms/{username}/{algoname}/versions',
        tags,
        summary: "An algorithm's versions, newest first",
        description: 'Owners and members (with a key that may manage algorithms, or whose whitelist covers it) see every version; everyone else, the public ones.',
        request: {
          params: algorithmParams,
          query: z.object({
            ...pageQuery,
            callable: QUERY_FLAG.optional().openapi({ description: 'true: public versions only; false: private ones only.' }),
            published: QUERY_FLAG.optional().openapi({ description: 'false: unpublished builds only (there are none: algoplane builds nothing).' }),
          }),
        },
        responses: { 200: jsonResponse(pagedResults(versionSchema, 'PagedVersionsList'), 'A page of versions.'), 400: errorResponse('A bad `limit` (5003) or `marker` (5002).'), 404: notFound },
      }),
      plane: 'standard',
      errors: ERRORS,
    },
    async (c) => {
      const catalogue = new Catalogue(c.env.db, c.env.principal);
      const algorithm = await visibleAlgorithm(catalogue, c.req.valid('param'));
      const query = c.req.valid('query');
      const callable = flag(query.callable);
      const callability = callable === null ? null : callable ? 'PUBLIC' : 'PRIVATE';
      const published = flag(query.published);
      const versions = await restPage(
        new URL(c.req.url),
        query,
        (args) => catalogue.versions(algorithm, { ...args, callability, published }),
        (version) => version,
        'newestFirst',
      );
      const contents = await Promise.all(versions.results.map((version) => catalogue.contents(version)));
      const base = originOf(c);
      return c.json({ ...versions, results: versions.results.map((version, i) => versionOf(base, algorithm, version, contents[i]!)) }, 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        operationId: 'getAlgorithmVersion',
        method: 'get',
        path: '/v1/algorithms/{username}/{algoname}/versions/{algohash}',
        tags,
        summary: 'A version by its git hash',
        request: {
          params: algorithmParams.extend({ algohash: z.string().openapi({ param: { name: 'algohash', in: 'path' }, description: "The version's 40-hex git hash." }) }),
        },
        responses: { 200: jsonResponse(versionSchema, 'The version.'), 404: errorResponse('No such algorithm (1000) or version (1014) that this key may see.') },
      }),
      plane: 'standard',
      errors: ERRORS,
    },
    async (c) => {
      const catalogue = new Catalogue(c.env.db, c.env.principal);
      const params = c.req.valid('param');
      const algorithm = await visibleAlgorithm(catalogue, params);
      // Hex is hex in either case; hashes are stored in lower case.
      const version = await catalogue.versionByGitHash(algorithm, params.algohash.toLowerCase());
      if (!version) throw restError(404, 'versionNotFound');
      return c.json(versionOf(originOf(c), algorithm, version, await catalogue.contents(version)), 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        operationId: 'listAlgorithmsForUser',
        method: 'get',
        path: '/v1/users/{username}/algorithms',
        tags,
        summary: "A user's or organization's algorithms",
        description: `Those the key may see, oldest first, at most ${MAX_USER_ALGORITHMS}. Standard or admin keys.`,
        request: { params: z.object({ username: ownerParam }) },
        responses: {
          200: jsonResponse(z.array(z.object({ id: z.uuid(), algoname: z.string(), username: z.string() }).openapi('UtilityAlgorithm')), 'The algorithms.'),
          404: errorResponse('No such user or organization (3000).'),
        },
      }),
      plane: 'any',
      errors: ERRORS,
    },
    async (c) => {
      const { db, principal } = c.env;
      const { username } = c.req.valid('param');
      if (!(await findOwner(db, { name: username }))) throw restError(404, 'userNotFound');
      const catalogue = new Catalogue(db, principal);
      const found: AlgorithmSummary[] = [];
      for (let after: string | null = null; found.length < MAX_USER_ALGORITHMS; ) {
        const page = await catalogue.list({ owner: username, first: MAX_PAGE_SIZE, after }, { state: false, latestVersion: false });
        found.push(...page.edges.map((edge) => edge.node));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      return c.json(found.slice(0, MAX_USER_ALGORITHMS).map((algorithm) => ({ id: algorithm.id, algoname: algorithm.name, username: algorithm.ownerName })), 200);
    },
  );
}
