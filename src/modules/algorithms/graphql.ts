import { encodeGlobalID } from '@pothos/plugin-relay';
import type { GraphQLResolveInfo } from 'graphql';
import { adminActorOf } from '../../auth/permissions.js';
import type { UserErrorData } from '../../core/errors.js';
import { builder } from '../../graphql/builder.js';
import { describedEnum } from '../../graphql/enums.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { withUserErrors } from '../../graphql/errors.js';
import { localIdOf } from '../../graphql/ids.js';
import { textCost } from '../../graphql/limits.js';
import { oncePerSelection, reads, readsOf, selectedOnNodes, type SelectionCache } from '../../graphql/lookahead.js';
import { USER_ERRORS_DESCRIPTION, UserErrorType } from '../../graphql/user-error.js';
import { ownerOf, OwnerRef } from '../owners/graphql.js';
import { UserType } from '../users/graphql.js';
import { Catalogue, type ListInclude } from './catalogue.js';
import { ACCESS_REASON_TEXT, ACCESS_REASONS, ENUMS, type AccessDecision, type AlgorithmRecord, type AlgorithmSummary, type Details, type Settings, type VersionFilter, type VersionRecord } from './model.js';
import { adminDeleteAlgorithm, compileAlgorithm, createAlgorithm, decideAccess, deleteAlgorithm, publishAlgorithm, updateAlgorithm } from './service.js';
import { SNIPPET_LANGUAGES } from './snippets.js';

export const LicenseEnum = describedEnum('License', ENUMS.license, {
  description: 'Closed source needs APL.',
  values: {
    APL: 'The APL license: the only one that allows CLOSED source. The default.',
    APACHE2: 'Apache License 2.0.',
    GPL3: 'GNU General Public License v3.',
    MIT: 'The MIT License.',
  },
});
export const NetworkAccessEnum = describedEnum('NetworkAccess', ENUMS.networkAccess, {
  description: 'Whether the algorithm may reach the network when it runs.',
  values: { ISOLATED: 'No network access. The default.', FULL: 'Full network access.' },
});
export const SourceVisibilityEnum = describedEnum('SourceVisibility', ENUMS.sourceVisibility, {
  description: "Whether callers may see the algorithm's source.",
  values: { OPEN: 'Open source.', CLOSED: 'Closed source. Needs the APL license; the default.' },
});
export const LanguageEnum = describedEnum('Language', ENUMS.language, {
  description: 'The language the algorithm is written in. A language needs an environment.',
  values: { JAVA: 'Java.', JAVASCRIPT: 'JavaScript.', PYTHON2: 'Python 2.', PYTHON3: 'Python 3.', R: 'R.', RUBY: 'Ruby.', RUST: 'Rust.', SCALA: 'Scala.' },
});
export const EnvironmentEnum = describedEnum('Environment', ENUMS.environment, {
  description: 'The hardware the algorithm runs on.',
  values: { CPU: 'CPU only.', GPU: 'With a GPU.' },
});
export const CallabilityEnum = describedEnum('Callability', ENUMS.callability, {
  description: 'Who may call a version: everyone, or the owner.',
  values: {
    PUBLIC: 'Anyone may see and call it (with a key whose algorithmAccess covers it).',
    PRIVATE: "Only the owner and, for an organization's algorithm, its members may see and call it.",
  },
});
export const VersionTypeEnum = describedEnum('VersionType', ENUMS.versionType, {
  description: 'Which part of the semantic version a publish bumps.',
  values: {
    MAJOR: 'x.0.0; the first version is 1.0.0. The only bump that may change callability.',
    MINOR: '1.x.0; the first version is 0.1.0.',
    REVISION: '1.2.x; the first version is 0.0.1.',
  },
});
const SnippetLanguageEnum = describedEnum('SnippetLanguage', SNIPPET_LANGUAGES, {
  description: 'The language of a code snippet.',
  values: { CURL: 'A curl command line.', PYTHON: "Python, with Algorithmia's client library.", JAVASCRIPT: "Node.js, with Algorithmia's client library." },
});
const AccessReasonEnum = describedEnum('AccessReason', ACCESS_REASONS, {
  description: 'Why an algorithmAccess decision came out as it did (the gateway authorizer answers the same reasons).',
  values: ACCESS_REASON_TEXT,
});

/** The request's reads of algorithms and versions, batched (one per request). */
const catalogues = new WeakMap<GraphQLContext, Catalogue>();
function catalogueOf(context: GraphQLContext): Catalogue {
  let catalogue = catalogues.get(context);
  if (!catalogue) catalogues.set(context, (catalogue = new Catalogue(context.db, context.principal)));
  return catalogue;
}

/**
 * Runs a change and shapes its payload. What the request read of the algorithm before no longer
 * answers for it: a payload (or the next mutation of the same request) sees it as changed.
 */
function changing<T extends { algorithm?: AlgorithmRecord; deletedAlgorithmId?: string }>(context: GraphQLContext, run: () => Promise<T>) {
  return withUserErrors(async () => {
    const result = await run();
    const catalogue = catalogueOf(context);
    if (result.algorithm) catalogue.changed(result.algorithm);
    if (result.deletedAlgorithmId) catalogue.changed({ id: result.deletedAlgorithmId });
    return result;
  });
}

const DetailsType = builder.objectRef<Details>('AlgorithmDetails').implement({
  description: 'The texts that present an algorithm.',
  fields: (t) => ({
    label: t.exposeString('label', { description: 'Display name, 1 to 100 characters.' }),
    summary: t.exposeString('summary', { nullable: true, description: 'What it does, at length: at most 10000 characters.', extensions: textCost(10_000) }),
    tagline: t.exposeString('tagline', { nullable: true, description: 'What it does, in one line: at most 200 characters.' }),
  }),
});

const SettingsType = builder.objectRef<Settings & { algorithmCallability?: AlgorithmRecord['callability'] }>('AlgorithmSettings').implement({
  description: 'How an algorithm is licensed, built and run.',
  fields: (t) => ({
    license: t.expose('license', { type: LicenseEnum, description: 'Its license.' }),
    networkAccess: t.expose('networkAccess', { type: NetworkAccessEnum, description: 'Whether it may reach the network when it runs.' }),
    pipelineEnabled: t.exposeBoolean('pipelineEnabled', { description: 'Whether it may call other algorithms.' }),
    sourceVisibility: t.expose('sourceVisibility', { type: SourceVisibilityEnum, description: 'Whether callers may see its source.' }),
    language: t.expose('language', {
      type: LanguageEnum,
      nullable: true,
      description: 'The language it is written in; may be null when a packageSet is set.',
    }),
    environment: t.expose('environment', { type: EnvironmentEnum, nullable: true, description: 'The hardware it runs on; always set when a language is.' }),
    packageSet: t.exposeString('packageSet', { nullable: true, description: 'The runtime package set, free text (e.g. python37).' }),
    royaltyMicrocredits: t.exposeInt('royaltyMicrocredits', { description: 'Royalty per call, in microcredits (millionths of a credit).' }),
    algorithmCallability: t.expose('algorithmCallability', {
      type: CallabilityEnum,
      nullable: true,
      description: "The latest version's callability (PRIVATE until published). Null on a version's snapshot.",
    }),
  }),
});

export const AlgorithmVersionType = builder.loadableNode('AlgorithmVersion', {
  description: 'An immutable snapshot taken at publish time. `node(id:)` fetches it again while the caller may see it.',
  id: { resolve: (version: VersionRecord) => version.id },
  // Versions the caller may not see do not exist for it (visibility.ts).
  load: (ids: string[], context) => catalogueOf(context).versionsByIds(ids),
  sort: (version) => version.id,
  fields: (t) => ({
    semanticVersion: t.exposeString('semanticVersion', { description: 'major.minor.patch, e.g. 1.2.3.' }),
    gitHash: t.exposeString('gitHash', {
      description: "40 lower-case hex digits, unique among all versions: the hash Algorithmia's REST API addresses the version by.",
    }),
    versionType: t.expose('versionType', { type: VersionTypeEnum, description: 'Which part this publish bumped.' }),
    callability: t.expose('callability', { type: CallabilityEnum, description: 'Who may call this version; fixed at publish.' }),
    releaseNotes: t.string({
      nullable: true,
      description: 'What the publisher said changed.',
      extensions: textCost(100_000),
      resolve: async (v, _args, context) => (await catalogueOf(context).contents(v)).releaseNotes,
    }),
    sampleInput: t.string({
      nullable: true,
      description: 'Example input, as published.',
      extensions: textCost(100_000),
      resolve: async (v, _args, context) => (await catalogueOf(context).contents(v)).sampleInput,
    }),
    sampleOutput: t.string({
      nullable: true,
      description: 'Example output, as published.',
      extensions: textCost(100_000),
      resolve: async (v, _args, context) => (await catalogueOf(context).contents(v)).sampleOutput,
    }),
    // The fields that show its state read it along for the owner and members, and its latest
    // version's for others (see `Catalogue.view`): `reads` says so to the lists that read along.
    details: t.field({
      type: DetailsType,
      description: 'The details as published.',
      resolve: async (v, _args, context) => (await catalogueOf(context).contents(v)).details,
    }),
    settings: t.field({
      type: SettingsType,
      description: 'The settings as published.',
      resolve: async (v, _args, context) => (await catalogueOf(context).contents(v)).settings,
    }),
    publishedAt: t.expose('publishedAt', { type: 'DateTime', description: 'When it was published.' }),
    publishedBy: t.field({
      type: UserType,
      nullable: true,
      description: "Shown to the owner and the organization's members only.",
      resolve: (v) => (v.fullAccess ? v.publishedByUserId : null),
    }),
  }),
});

const VersionConnection = builder.connectionObject(
  { type: AlgorithmVersionType, name: 'AlgorithmVersionConnection', description: "A page of an algorithm's versions." },
  { description: 'A version and its cursor.' },
);

/** What a list should read along with each algorithm, from the fields its client selected (the same for every owner a request lists). */
const listIncludes = (info: GraphQLResolveInfo): ListInclude => oncePerSelection(listIncludesCache, info, () => includesOf(info));

const listIncludesCache: SelectionCache<ListInclude> = new WeakMap();

function includesOf(info: GraphQLResolveInfo): ListInclude {
  const selected = selectedOnNodes(info);
  const versions = selected.get('versions');
  // What the selected fields declare they read; a field that declares nothing gets everything.
  const read = readsOf(info.schema, ['Algorithm'], [...selected.keys()]);
  return {
    state: read === null || read.has('state'),
    latestVersion: read === null || read.has('latestVersion'),
    // Only one selection can be read along; a second (aliased, other arguments) loads on its own.
    versions: versions?.length === 1 ? (versions[0] as VersionFilter) : undefined,
  };
}

export const AlgorithmType = builder.loadableNode('Algorithm', {
  description:
    'An algorithm, addressed algo://<owner>/<name>. Others see it once it has a PUBLIC version. "The owner and members" here means their keys with manageAlgorithms or whose algorithmAccess covers it; their other keys see it as others do.',
  id: { resolve: (algorithm: AlgorithmSummary) => algorithm.id },
  load: (ids: string[], context) => catalogueOf(context).byIds(ids),
  sort: (algorithm) => algorithm.id,
  fields: (t) => ({
    name: t.exposeString('name', {
      description: 'Unique per owner: letters, digits and underscores, starting with a letter; at most 30.',
      extensions: reads(),
    }),
    owner: t.field({
      type: OwnerRef,
      description: 'The user or organization it belongs to.',
      extensions: reads(),
      // Lists and lookups read the owner's name and kind along; the rest of it loads when asked for.
      resolve: (algorithm, _args, context, info) => ownerOf(context, info, algorithm),
    }),
    details: t.field({
      type: DetailsType,
      description: 'Its label, summary and tagline. As it is now for the owner and members; as its newest PUBLIC version published it for others.',
      extensions: reads('state', 'latestVersion'),
      resolve: async (a, _args, context) => (await catalogueOf(context).view(a)).details,
    }),
    settings: t.field({
      type: SettingsType,
      description:
        'Its license, runtime and other settings. As it is now for the owner and members; as its newest PUBLIC version published it for others.',
      extensions: reads('state', 'latestVersion'),
      resolve: async (a, _args, context) => {
        const view = await catalogueOf(context).view(a);
        return { ...view.settings, algorithmCallability: view.callability };
      },
    }),
    sampleInput: t.string({
      nullable: true,
      description: 'Example input for callers. As it is now for the owner and members; as its newest PUBLIC version published it for others.',
      extensions: { ...reads('state', 'latestVersion'), ...textCost(100_000) },
      resolve: async (a, _args, context) => (await catalogueOf(context).view(a)).sampleInput,
    }),
    callability: t.field({
      type: CallabilityEnum,
      description: "The newest version's callability (PRIVATE until published). Outsiders see only PUBLIC versions.",
      extensions: reads('state', 'latestVersion'),
      resolve: async (a, _args, context) => (await catalogueOf(context).view(a)).callability,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the algorithm was created.', extensions: reads() }),
    updatedAt: t.field({
      type: 'DateTime',
      description: 'When it last changed (update or publish); for others, when its newest PUBLIC version was published.',
      extensions: reads('state', 'latestVersion'),
      resolve: async (a, _args, context) => (await catalogueOf(context).view(a)).updatedAt,
    }),
    latestVersion: t.field({
      type: AlgorithmVersionType,
      nullable: true,
      description: 'The newest version you may see: any for the owner and members, the newest PUBLIC one for others.',
      extensions: reads('latestVersion'),
      resolve: (algorithm, _args, context) => catalogueOf(context).latestVersion(algorithm),
    }),
    version: t.field({
      type: AlgorithmVersionType,
      nullable: true,
      description: 'One version by its exact semantic version; null if there is none you may see.',
      extensions: reads(),
      args: { semver: t.arg.string({ required: true, description: 'Exactly, e.g. 1.2.3.' }) },
      resolve: (algorithm, { semver }, context) => catalogueOf(context).version(algorithm, semver),
    }),
    versionByGitHash: t.field({
      type: AlgorithmVersionType,
      nullable: true,
      description: 'One version by its gitHash; null if it is not a version of this algorithm that you may see.',
      extensions: reads(),
      args: { gitHash: t.arg.string({ required: true, description: '40 lower-case hex digits.' }) },
      resolve: (algorithm, { gitHash }, context) => catalogueOf(context).versionByGitHash(algorithm, gitHash),
    }),
    pendingBuildHash: t.string({
      nullable: true,
      description:
        'The gitHash the next published version will have, once compileAlgorithm has minted it (publishing spends it). Shown to the owner and members only.',
      extensions: reads('state'),
      resolve: async (a, _args, context) => (a.fullAccess ? (await catalogueOf(context).state(a)).pendingBuildHash : null),
    }),
    versions: t.connection(
      {
        type: AlgorithmVersionType,
        description: 'Versions you may see, oldest first (ask for `last` to get the newest).',
        extensions: reads('versions'),
        args: {
          published: t.arg.boolean({ description: 'Every version is published; false selects none.' }),
          callability: t.arg({ type: CallabilityEnum, description: 'Only versions of this callability.' }),
        },
        resolve: (algorithm, args, context) => catalogueOf(context).versions(algorithm, args),
      },
      VersionConnection,
    ),
    snippet: t.string({
      description:
        "A ready-to-paste call of the latest version you may see, naming your default-key by its mask (never its secret) if your key may see it (manageAccount), else a placeholder.",
      extensions: reads('state', 'latestVersion'),
      args: { language: t.arg({ type: SnippetLanguageEnum, required: true, description: 'The language to write the call in.' }) },
      resolve: (algorithm, { language }, context) => catalogueOf(context).snippet(algorithm, language, context.algorithmApiUrl),
    }),
  }),
});

const AlgorithmConnection = builder.connectionObject(
  { type: AlgorithmType, name: 'AlgorithmConnection', description: 'A page of algorithms.' },
  { name: 'AlgorithmEdge', description: 'An algorithm and its cursor.' },
);

builder.interfaceFields(OwnerRef, (t) => ({
  algorithms: t.connection(
    {
      type: AlgorithmType,
      description: "The owner's algorithms that you may see, oldest first.",
      extensions: reads('summary'),
      args: { callability: t.arg({ type: CallabilityEnum, description: "The latest version's callability." }) },
      resolve: (owner, args, context, info) => catalogueOf(context).algorithmsOf(owner.id, args, listIncludes(info)),
    },
    AlgorithmConnection,
  ),
}));

/** The algorithm a decision was about, as the caller reads it (null when the decision did not find it). */
async function decidedAlgorithm(decision: AccessDecision, context: GraphQLContext): Promise<AlgorithmRecord | null> {
  if (decision.algorithmId === null) return null;
  const [found] = await catalogueOf(context).byIds([decision.algorithmId]);
  return found ?? null;
}

const AccessDecisionType = builder.objectRef<AccessDecision>('AccessDecision').implement({
  description: 'Whether the calling key may call an algorithm version, and why.',
  fields: (t) => ({
    allowed: t.exposeBoolean('allowed', { description: 'Whether the key may call the reference.' }),
    reason: t.expose('reason', { type: AccessReasonEnum, description: 'Why: ALLOWED, or what refused it.' }),
    algorithm: t.field({
      type: AlgorithmType,
      nullable: true,
      description: 'The algorithm; null when refused before it was looked up (ORIGIN_NOT_ALLOWED, NOT_IN_ACL) or NOT_FOUND.',
      resolve: (d, _args, context) => decidedAlgorithm(d, context),
    }),
    version: t.field({
      type: AlgorithmVersionType,
      nullable: true,
      description: 'The version the reference resolves to; null unless allowed.',
      resolve: async (d, _args, context) => {
        if (d.semanticVersion === null) return null;
        const algorithm = await decidedAlgorithm(d, context);
        return algorithm && catalogueOf(context).version(algorithm, d.semanticVersion);
      },
    }),
  }),
});

// --- queries ------------------------------------------------------------------------------------

builder.queryFields((t) => ({
  algorithm: t.field({
    type: AlgorithmType,
    nullable: true,
    description: 'One algorithm by "owner/name" or "algo://owner/name"; null if it does not exist for you.',
    authScopes: { standard: true },
    args: { ref: t.arg.string({ required: true, description: 'owner/name or algo://owner/name.' }) },
    resolve: (_root, { ref }, context) => catalogueOf(context).byRef(ref),
  }),
  algorithms: t.connection(
    {
      type: AlgorithmType,
      description: 'Algorithms you may see, oldest first, optionally of one owner and one callability.',
      authScopes: { standard: true },
      args: {
        owner: t.arg.string({ description: 'Username or organization name.' }),
        callability: t.arg({ type: CallabilityEnum, description: "The latest version's callability." }),
      },
      resolve: (_root, args, context, info) => catalogueOf(context).list(args, listIncludes(info)),
    },
    AlgorithmConnection,
  ),
  algorithmAccess: t.field({
    type: AccessDecisionType,
    description: 'May THIS key call `ref` (owner/name[/version])? From `origin` if given, else from this request\'s origin.',
    authScopes: { standard: true },
    args: {
      ref: t.arg.string({
        required: true,
        description: 'owner/name[/version] or algo://…; version: latest (the default), latestPrivate, 1.2.3, 1.2.* or 1.*.',
      }),
      origin: t.arg.string({ description: 'A browser origin like https://app.example.com; omit for this request.' }),
    },
    resolve: (_root, args, { callSheets, principal, caller }) => decideAccess(callSheets, principal, args, caller),
  }),
}));

// --- mutations ----------------------------------------------------------------------------------

const DetailsInput = builder.inputType('AlgorithmDetailsInput', {
  description: 'The texts that present an algorithm. On update, absent fields keep their value.',
  fields: (t) => ({
    label: t.string({ description: 'Display name, 1 to 100 characters. Required on create.' }),
    summary: t.string({ description: 'What it does, at length: at most 10000 characters; null or blank clears it.' }),
    tagline: t.string({ description: 'What it does, in one line: at most 200 characters; null or blank clears it.' }),
  }),
});

const SettingsInput = builder.inputType('AlgorithmSettingsInput', {
  description: 'Omitted fields keep their value (new algorithms: APL, ISOLATED, CLOSED, no pipeline, 0 royalty).',
  fields: (t) => ({
    license: t.field({ type: LicenseEnum, description: 'Default APL. Anything else needs sourceVisibility OPEN.' }),
    networkAccess: t.field({ type: NetworkAccessEnum, description: 'Default ISOLATED.' }),
    pipelineEnabled: t.boolean({ description: 'Whether it may call other algorithms. Default false.' }),
    sourceVisibility: t.field({ type: SourceVisibilityEnum, description: 'Default CLOSED, which needs license APL.' }),
    language: t.field({ type: LanguageEnum, description: 'A language or a packageSet is required; a language needs an environment.' }),
    environment: t.field({ type: EnvironmentEnum, description: 'Required when a language is set. Null clears it.' }),
    packageSet: t.string({ description: 'The runtime package set, e.g. python37: at most 100 characters. Null or blank clears it.' }),
    royaltyMicrocredits: t.int({ description: 'Royalty per call, in microcredits: 0 to 1000000000. Default 0.' }),
  }),
});

const VersionInfoInput = builder.inputType('AlgorithmVersionInfoInput', {
  description: 'What the next published version starts from.',
  fields: (t) => ({
    sampleInput: t.string({ description: 'Example input for callers, at most 100000 characters; null or blank clears it.' }),
  }),
});

type Types = typeof builder extends PothosSchemaTypes.SchemaBuilder<infer T> ? T : never;
type PayloadFields<Payload> = PothosSchemaTypes.ObjectFieldBuilder<Types, Payload>;
type Answer<T> = Partial<T> & { userErrors: UserErrorData[] };

const algorithmPayloadFields = {
  description: 'The algorithm as created or changed, or why nothing was.',
  outputFields: (t: PayloadFields<Answer<{ algorithm: AlgorithmRecord }>>) => ({
    algorithm: t.field({ type: AlgorithmType, nullable: true, description: 'The algorithm, as created or changed.', resolve: (p) => p.algorithm }),
    userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
  }),
};

const MANAGE = { $all: { standard: true, manageAlgorithms: true } } as const;

builder.relayMutationField(
  'createAlgorithm',
  {
    description: 'A new algorithm. It needs a label, and a language or a packageSet.',
    inputFields: (t) => ({
      owner: t.string({ description: "Username or organization name; default the calling key's owner." }),
      name: t.string({
        required: true,
        description: 'Unique per owner, never changes: letters, digits and underscores, starting with a letter; at most 30.',
      }),
      details: t.field({ type: DetailsInput, required: true, description: 'Its label (required), summary and tagline.' }),
      settings: t.field({ type: SettingsInput, description: 'Its settings; omitted ones take their defaults.' }),
      versionInfo: t.field({ type: VersionInfoInput, description: 'Its sample input.' }),
    }),
  },
  {
    description: 'Creates an algorithm (private until a PUBLIC version is published).',
    authScopes: MANAGE,
    resolve: (_root, { input }, context) => changing(context, () => createAlgorithm(context.db, context.principal, input, context.callSheets)),
  },
  algorithmPayloadFields,
);

builder.relayMutationField(
  'updateAlgorithm',
  {
    description: "An algorithm's changes. Absent fields keep their value; the name and owner never change.",
    inputFields: (t) => ({
      id: t.id({ required: true, description: "The algorithm's global id." }),
      details: t.field({ type: DetailsInput, description: 'Changes to its label, summary and tagline.' }),
      settings: t.field({ type: SettingsInput, description: 'Changes to its settings.' }),
      versionInfo: t.field({ type: VersionInfoInput, description: 'Changes to its sample input.' }),
    }),
  },
  {
    description: 'Changes only the fields given. Published versions keep their snapshot.',
    authScopes: MANAGE,
    resolve: (_root, { input }, context) =>
      changing(context, () => updateAlgorithm(context.db, context.principal, { ...input, id: localIdOf(String(input.id), 'Algorithm') })),
  },
  algorithmPayloadFields,
);

builder.relayMutationField(
  'compileAlgorithm',
  { description: 'Which algorithm to compile.', inputFields: (t) => ({ id: t.id({ required: true, description: "The algorithm's global id." }) }) },
  {
    description:
      "Algorithmia's compile step. Nothing is built: it mints the algorithm's pendingBuildHash, the gitHash of the next published version, and answers the same one until a publish spends it.",
    authScopes: MANAGE,
    resolve: (_root, { input }, context) =>
      changing(context, () => compileAlgorithm(context.db, context.principal, { id: localIdOf(String(input.id), 'Algorithm') })),
  },
  algorithmPayloadFields,
);

builder.relayMutationField(
  'publishAlgorithm',
  {
    description: 'Which algorithm to publish, and how.',
    inputFields: (t) => ({
      id: t.id({ required: true, description: "The algorithm's global id." }),
      versionType: t.field({ type: VersionTypeEnum, required: true, description: 'Which part of the last version to bump.' }),
      callability: t.field({ type: CallabilityEnum, description: 'Default: as the last version. Changes only with MAJOR.' }),
      releaseNotes: t.string({ description: 'What changed, at most 100000 characters.' }),
      sampleInput: t.string({ description: "Default: the algorithm's sampleInput." }),
      sampleOutput: t.string({ description: 'Example output, at most 100000 characters.' }),
    }),
  },
  {
    description: 'Publishes the algorithm as it is now as the next version (1.0.0 / 0.1.0 / 0.0.1 first).',
    authScopes: MANAGE,
    resolve: (_root, { input }, context) =>
      changing(context, () =>
        publishAlgorithm(context.db, context.principal, { ...input, id: localIdOf(String(input.id), 'Algorithm') }, context.callSheets),
      ),
  },
  {
    description: 'The new version, or why nothing was published.',
    outputFields: (t) => ({
      algorithm: t.field({ type: AlgorithmType, nullable: true, description: 'The algorithm, after publishing.', resolve: (p) => p.algorithm }),
      version: t.field({ type: AlgorithmVersionType, nullable: true, description: 'The new version.', resolve: (p) => p.version }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
    }),
  },
);

const deletedIdFields = {
  description: "The deleted algorithm's id, or why it was not deleted.",
  outputFields: (t: PayloadFields<Answer<{ deletedAlgorithmId: string }>>) => ({
    deletedAlgorithmId: t.id({
      nullable: true,
      description: 'The global id the algorithm had.',
      resolve: (p) => (p.deletedAlgorithmId ? encodeGlobalID('Algorithm', p.deletedAlgorithmId) : null),
    }),
    userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
  }),
};

builder.relayMutationField(
  'deleteAlgorithm',
  { description: 'Which algorithm to delete.', inputFields: (t) => ({ id: t.id({ required: true, description: "The algorithm's global id." }) }) },
  {
    description: 'Deletes an algorithm that has no PUBLIC version (callers may depend on those: see adminDeleteAlgorithm).',
    authScopes: MANAGE,
    resolve: (_root, { input }, context) =>
      changing(context, () => deleteAlgorithm(context.db, context.principal, { id: localIdOf(String(input.id), 'Algorithm') }, context.callSheets)),
  },
  deletedIdFields,
);

builder.relayMutationField(
  'adminDeleteAlgorithm',
  { description: 'Which algorithm to delete.', inputFields: (t) => ({ id: t.id({ required: true, description: "The algorithm's global id." }) }) },
  {
    description: 'Deletes any algorithm, PUBLIC versions included. Admin keys only.',
    authScopes: { admin: true },
    resolve: (_root, { input }, context) =>
      changing(context, () =>
        adminDeleteAlgorithm(
          context.db,
          adminActorOf(context.principal, 'adminDeleteAlgorithm'),
          { id: localIdOf(String(input.id), 'Algorithm') },
          context.callSheets,
        ),
      ),
  },
  deletedIdFields,
);
