import { encodeGlobalID } from '@pothos/plugin-relay';
import { actorOf, DEFAULT_KEY_NAME } from '../../auth/principal.js';
import { callerFromOrigin } from '../../auth/origin.js';
import type { GraphQLResolveInfo } from 'graphql';
import type { Page } from '../../core/pagination.js';
import { batched } from '../../graphql/batch.js';
import { builder } from '../../graphql/builder.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { withUserErrors } from '../../graphql/errors.js';
import { localIdOf } from '../../graphql/ids.js';
import { selectedOnNodes } from '../../graphql/lookahead.js';
import { UserErrorType } from '../../graphql/user-error.js';
import { findApiKeysByName } from '../api-keys/service.js';
import { loadOwner, ownerOf, OwnerRef } from '../owners/graphql.js';
import { UserType } from '../users/graphql.js';
import {
  adminDeleteAlgorithm,
  algorithmStates,
  createAlgorithm,
  decideAccess,
  deleteAlgorithm,
  findAlgorithmByRef,
  findAlgorithmsByIds,
  hasState,
  latestVersions,
  listAlgorithms,
  publishAlgorithm,
  updateAlgorithm,
  versionContents,
  versionFilterKey,
  versionPages,
  versionsBySemver,
  type AlgorithmInclude,
  type AlgorithmRecord,
  type AlgorithmState,
  type ListedAlgorithm,
  type VersionContents,
  type VersionFilter,
  type VersionRecord,
} from './service.js';
import { renderSnippet, SNIPPET_LANGUAGES } from './snippets.js';

const enumOf = <const T extends readonly string[]>(name: string, values: T, description?: string) =>
  builder.enumType(name, { values, description });

export const LicenseEnum = enumOf('License', ['APL', 'APACHE2', 'GPL3', 'MIT'] as const, 'Closed source needs APL.');
export const NetworkAccessEnum = enumOf('NetworkAccess', ['ISOLATED', 'FULL'] as const);
export const SourceVisibilityEnum = enumOf('SourceVisibility', ['OPEN', 'CLOSED'] as const);
export const LanguageEnum = enumOf('Language', ['JAVA', 'JAVASCRIPT', 'PYTHON2', 'PYTHON3', 'R', 'RUBY', 'RUST', 'SCALA'] as const);
export const EnvironmentEnum = enumOf('Environment', ['CPU', 'GPU'] as const);
export const CallabilityEnum = enumOf('Callability', ['PUBLIC', 'PRIVATE'] as const, 'Who may call a version: everyone, or the owner.');
export const VersionTypeEnum = enumOf('VersionType', ['MAJOR', 'MINOR', 'REVISION'] as const);
const SnippetLanguageEnum = enumOf('SnippetLanguage', SNIPPET_LANGUAGES);
const AccessReasonEnum = builder.enumType('AccessReason', {
  values: {
    ALLOWED: { description: 'The key may call the resolved version.' },
    NOT_IN_ACL: { description: "The key's algorithmAccess does not cover the algorithm." },
    NOT_FOUND: { description: 'No such algorithm, or not one the key may see.' },
    NO_PUBLIC_VERSION: { description: 'The algorithm has no PUBLIC version to resolve `latest` to.' },
    VERSION_NOT_FOUND: { description: 'No version the key may call matches the reference.' },
    ORIGIN_NOT_ALLOWED: { description: "The key's caller-origin rules refuse this origin (or native clients)." },
  } as const,
});

type Details = Pick<AlgorithmRecord, 'label' | 'summary' | 'tagline'>;
type Settings = Pick<
  AlgorithmRecord,
  'license' | 'networkAccess' | 'pipelineEnabled' | 'sourceVisibility' | 'language' | 'environment' | 'packageSet' | 'royaltyMicrocredits'
>;

const DetailsType = builder.objectRef<Details>('AlgorithmDetails').implement({
  fields: (t) => ({
    label: t.exposeString('label'),
    summary: t.exposeString('summary', { nullable: true }),
    tagline: t.exposeString('tagline', { nullable: true }),
  }),
});

const SettingsType = builder.objectRef<Settings & { algorithmCallability?: AlgorithmRecord['callability'] }>('AlgorithmSettings').implement({
  fields: (t) => ({
    license: t.expose('license', { type: LicenseEnum }),
    networkAccess: t.expose('networkAccess', { type: NetworkAccessEnum }),
    pipelineEnabled: t.exposeBoolean('pipelineEnabled'),
    sourceVisibility: t.expose('sourceVisibility', { type: SourceVisibilityEnum }),
    language: t.expose('language', { type: LanguageEnum, nullable: true }),
    environment: t.expose('environment', { type: EnvironmentEnum, nullable: true }),
    packageSet: t.exposeString('packageSet', { nullable: true }),
    royaltyMicrocredits: t.exposeInt('royaltyMicrocredits'),
    algorithmCallability: t.expose('algorithmCallability', {
      type: CallabilityEnum,
      nullable: true,
      description: "The latest version's callability (PRIVATE until published). Null on a version's snapshot.",
    }),
  }),
});

export const AlgorithmVersionType = builder.objectRef<VersionRecord>('AlgorithmVersion').implement({
  description: 'An immutable snapshot taken at publish time.',
  fields: (t) => ({
    id: t.id({ resolve: (v) => encodeGlobalID('AlgorithmVersion', v.id) }),
    semanticVersion: t.exposeString('semanticVersion'),
    versionType: t.expose('versionType', { type: VersionTypeEnum }),
    callability: t.expose('callability', { type: CallabilityEnum }),
    releaseNotes: t.string({ nullable: true, resolve: async (v, _args, context) => (await contentsOf(context, v)).releaseNotes }),
    sampleInput: t.string({ nullable: true, resolve: async (v, _args, context) => (await contentsOf(context, v)).sampleInput }),
    sampleOutput: t.string({ nullable: true, resolve: async (v, _args, context) => (await contentsOf(context, v)).sampleOutput }),
    details: t.field({ type: DetailsType, resolve: async (v, _args, context) => (await contentsOf(context, v)).details as Details }),
    settings: t.field({ type: SettingsType, resolve: async (v, _args, context) => (await contentsOf(context, v)).settings as Settings }),
    publishedAt: t.expose('publishedAt', { type: 'DateTime' }),
    publishedBy: t.field({
      type: UserType,
      nullable: true,
      description: "Shown to the owner and the organization's members only.",
      resolve: (v) => (v.fullAccess ? v.publishedByUserId : null),
    }),
  }),
});

const VersionConnection = builder.connectionObject({ type: AlgorithmVersionType, name: 'AlgorithmVersionConnection' });

/** A version's contents: read with it, or else batched with every other version of the request. */
const contentsOf = async (context: GraphQLContext, version: VersionRecord): Promise<VersionContents> =>
  version.contents ??
  (await batched<string, VersionContents | null>(context, 'versionContents', (ids) => versionContents(context.db, ids)).load(version.id))!;

/** Read with the list the algorithm came from, or else batched with every other algorithm of the request. */
const latestVersionOf = (context: GraphQLContext, algorithm: ListedAlgorithm) =>
  algorithm.latestVersion !== undefined
    ? algorithm.latestVersion
    : batched<ListedAlgorithm, VersionRecord | null>(context, 'latestVersion', async (seen) => {
        const byAlgorithm = new Map((await latestVersions(context.db, seen)).map((v) => [v.algorithmId, v]));
        return seen.map((a) => byAlgorithm.get(a.id) ?? null);
      }).load(algorithm);

/** The algorithm's state: read with it, or else batched with every other algorithm of the request that needs it. */
const stateOf = (context: GraphQLContext, algorithm: ListedAlgorithm): AlgorithmState | Promise<AlgorithmState> =>
  hasState(algorithm)
    ? algorithm
    : batched<string, AlgorithmState | null>(context, 'algorithmState', (ids) => algorithmStates(context.db, ids))
        .load(algorithm.id)
        .then((state) => state!);

/** Fields that read the algorithm's state (its owner and members), or its latest version's (others: see publicView). */
const STATE_READERS = ['details', 'settings', 'sampleInput', 'callability', 'updatedAt', 'snippet'];
const LATEST_VERSION_READERS = ['latestVersion', ...STATE_READERS];

/** What a list should read with each algorithm, from the fields its client selected. */
function listIncludes(info: GraphQLResolveInfo): AlgorithmInclude {
  const selected = selectedOnNodes(info);
  const versions = selected.get('versions');
  return {
    state: STATE_READERS.some((field) => selected.has(field)),
    latestVersion: LATEST_VERSION_READERS.some((field) => selected.has(field)),
    // Only one selection can be read along; a second (aliased, other arguments) loads on its own.
    versions: versions?.length === 1 ? (versions[0] as VersionFilter) : undefined,
  };
}

/** The mask of the caller's own default-key, for snippets; null when it has none. */
const callerDefaultKeyMask = (context: GraphQLContext) =>
  batched<string, string | null>(context, 'defaultKeyMask', async (ownerIds) => {
    const keys = await findApiKeysByName(context.db, ownerIds, DEFAULT_KEY_NAME);
    return ownerIds.map((id) => keys.find((key) => key.ownerId === id)?.mask ?? null);
  }).load(context.principal.ownerId);

/**
 * What the caller may know of an algorithm's state. The owner and members see it as it is now;
 * everyone else sees it as its newest PUBLIC version published it (its draft and its private
 * versions are none of their business), so to them it is PUBLIC.
 */
async function publicView(context: GraphQLContext, algorithm: ListedAlgorithm) {
  if (algorithm.fullAccess) {
    const state = await stateOf(context, algorithm);
    return { details: state, settings: state, sampleInput: state.sampleInput, callability: state.callability, updatedAt: state.updatedAt };
  }
  // Outsiders see only algorithms with a PUBLIC version, and versions are never deleted alone.
  const version = (await latestVersionOf(context, algorithm))!;
  const contents = await contentsOf(context, version);
  return {
    details: contents.details as Details,
    settings: contents.settings as Settings,
    sampleInput: contents.sampleInput,
    callability: 'PUBLIC' as const,
    updatedAt: version.publishedAt,
  };
}

export const AlgorithmType = builder.loadableNode('Algorithm', {
  description: 'An algorithm, addressed algo://<owner>/<name>. Others see it once it has a PUBLIC version.',
  id: { resolve: (algorithm: ListedAlgorithm) => algorithm.id },
  load: (ids: string[], context) => findAlgorithmsByIds(context.db, context.principal, ids),
  sort: (algorithm) => algorithm.id,
  fields: (t) => ({
    name: t.exposeString('name'),
    owner: t.field({
      type: OwnerRef,
      // Lists and lookups read the owner's name and kind along; the rest of it loads when asked for.
      resolve: (algorithm, _args, context, info) => ownerOf(context, info, algorithm),
    }),
    details: t.field({ type: DetailsType, resolve: async (a, _args, context) => (await publicView(context, a)).details }),
    settings: t.field({
      type: SettingsType,
      resolve: async (a, _args, context) => {
        const view = await publicView(context, a);
        return { ...view.settings, algorithmCallability: view.callability };
      },
    }),
    sampleInput: t.string({ nullable: true, resolve: async (a, _args, context) => (await publicView(context, a)).sampleInput }),
    callability: t.field({
      type: CallabilityEnum,
      description: "The newest version's callability (PRIVATE until published). Outsiders see only PUBLIC versions.",
      resolve: async (a, _args, context) => (await publicView(context, a)).callability,
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.field({ type: 'DateTime', resolve: async (a, _args, context) => (await publicView(context, a)).updatedAt }),
    latestVersion: t.field({
      type: AlgorithmVersionType,
      nullable: true,
      description: 'The newest version you may see: any for the owner and members, the newest PUBLIC one for others.',
      resolve: (algorithm, _args, context) => latestVersionOf(context, algorithm),
    }),
    version: t.field({
      type: AlgorithmVersionType,
      nullable: true,
      args: { semver: t.arg.string({ required: true, description: 'Exactly, e.g. 1.2.3.' }) },
      resolve: (algorithm, { semver }, context) =>
        batched<ListedAlgorithm, VersionRecord | null>(context, `version:${semver}`, (seen) =>
          versionsBySemver(context.db, seen, semver),
        ).load(algorithm),
    }),
    versions: t.connection(
      {
        type: AlgorithmVersionType,
        description: 'Versions you may see, oldest first (ask for `last` to get the newest).',
        args: {
          published: t.arg.boolean({ description: 'Every version is published; false selects none.' }),
          callability: t.arg({ type: CallabilityEnum }),
        },
        resolve: (algorithm, args, context) => {
          const key = versionFilterKey(args as VersionFilter);
          if (algorithm.versionPage?.key === key) return algorithm.versionPage.page;
          return batched<ListedAlgorithm, Page<VersionRecord>>(context, `versions:${key}`, async (seen) => {
            const pages = await versionPages(context.db, seen, args as VersionFilter);
            return seen.map((a) => pages.get(a.id)!);
          }).load(algorithm);
        },
      },
      VersionConnection,
    ),
    snippet: t.string({
      description: "A ready-to-paste call of the latest version, naming your default-key by its mask (never its secret).",
      args: { language: t.arg({ type: SnippetLanguageEnum, required: true }) },
      resolve: async (algorithm, { language }, context) => {
        const [ownerName, version, mask] = await Promise.all([
          algorithm.ownerName ?? loadOwner(context, algorithm.ownerId).then((owner) => (owner?.kind === 'USER' ? owner.username : owner?.name)),
          latestVersionOf(context, algorithm),
          callerDefaultKeyMask(context),
        ]);
        return renderSnippet(language, {
          apiUrl: context.algorithmApiUrl,
          path: `${ownerName}/${algorithm.name}${version ? `/${version.semanticVersion}` : ''}`,
          keyMask: mask,
          sampleInput: (version && (await contentsOf(context, version)).sampleInput) ?? (algorithm.fullAccess ? (await stateOf(context, algorithm)).sampleInput : null),
        });
      },
    }),
  }),
});

const AlgorithmConnection = builder.connectionObject({ type: AlgorithmType, name: 'AlgorithmConnection' }, { name: 'AlgorithmEdge' });

builder.interfaceFields(OwnerRef, (t) => ({
  algorithms: t.connection(
    {
      type: AlgorithmType,
      description: "The owner's algorithms that you may see, oldest first.",
      args: { callability: t.arg({ type: CallabilityEnum }) },
      resolve: (owner, args, { db, principal }, info) =>
        listAlgorithms(db, principal, { ...args, owner: owner.kind === 'USER' ? owner.username : owner.name }, listIncludes(info)),
    },
    AlgorithmConnection,
  ),
}));

const AccessDecisionType = builder
  .objectRef<Awaited<ReturnType<typeof decideAccess>>>('AccessDecision')
  .implement({
    description: 'Whether the calling key may call an algorithm version, and why.',
    fields: (t) => ({
      allowed: t.exposeBoolean('allowed'),
      reason: t.expose('reason', { type: AccessReasonEnum }),
      algorithm: t.field({ type: AlgorithmType, nullable: true, resolve: (d) => d.algorithm }),
      version: t.field({ type: AlgorithmVersionType, nullable: true, resolve: (d) => d.version }),
    }),
  });

// --- queries ------------------------------------------------------------------------------------

builder.queryFields((t) => ({
  algorithm: t.field({
    type: AlgorithmType,
    nullable: true,
    description: 'One algorithm by "owner/name" or "algo://owner/name"; null if it does not exist for you.',
    authScopes: { standard: true },
    args: { ref: t.arg.string({ required: true }) },
    resolve: (_root, { ref }, { db, principal }) => findAlgorithmByRef(db, principal, ref),
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
      resolve: (_root, args, { db, principal }, info) => listAlgorithms(db, principal, args, listIncludes(info)),
    },
    AlgorithmConnection,
  ),
  algorithmAccess: t.field({
    type: AccessDecisionType,
    description: 'May THIS key call `ref` (owner/name[/version])? From `origin` if given, else from this request\'s origin.',
    authScopes: { standard: true },
    args: {
      ref: t.arg.string({ required: true }),
      origin: t.arg.string({ description: 'A browser origin like https://app.example.com; omit for this request.' }),
    },
    resolve: (_root, { ref, origin }, { db, principal, caller }) =>
      decideAccess(db, principal, ref, origin ? callerFromOrigin(origin) : caller),
  }),
}));

// --- mutations ----------------------------------------------------------------------------------

const DetailsInput = builder.inputType('AlgorithmDetailsInput', {
  fields: (t) => ({
    label: t.string({ description: 'Required on create.' }),
    summary: t.string(),
    tagline: t.string(),
  }),
});

const SettingsInput = builder.inputType('AlgorithmSettingsInput', {
  description: 'Omitted fields keep their value (new algorithms: APL, ISOLATED, CLOSED, no pipeline, 0 royalty).',
  fields: (t) => ({
    license: t.field({ type: LicenseEnum }),
    networkAccess: t.field({ type: NetworkAccessEnum }),
    pipelineEnabled: t.boolean(),
    sourceVisibility: t.field({ type: SourceVisibilityEnum }),
    language: t.field({ type: LanguageEnum, description: 'A language or a packageSet is required; a language needs an environment.' }),
    environment: t.field({ type: EnvironmentEnum }),
    packageSet: t.string(),
    royaltyMicrocredits: t.int(),
  }),
});

const VersionInfoInput = builder.inputType('AlgorithmVersionInfoInput', {
  fields: (t) => ({ sampleInput: t.string() }),
});

const algorithmPayloadFields = {
  outputFields: (t: any) => ({
    algorithm: t.field({ type: AlgorithmType, nullable: true, resolve: (p: { algorithm?: AlgorithmRecord }) => p.algorithm }),
    userErrors: t.field({ type: [UserErrorType], resolve: (p: { userErrors: unknown[] }) => p.userErrors }),
  }),
};

const MANAGE = { $all: { standard: true, manageAlgorithms: true } } as const;

builder.relayMutationField(
  'createAlgorithm',
  {
    inputFields: (t) => ({
      owner: t.string({ description: "Username or organization name; default the calling key's owner." }),
      name: t.string({ required: true }),
      details: t.field({ type: DetailsInput, required: true }),
      settings: t.field({ type: SettingsInput }),
      versionInfo: t.field({ type: VersionInfoInput }),
    }),
  },
  {
    description: 'Creates an algorithm (private until a PUBLIC version is published).',
    authScopes: MANAGE,
    resolve: (_root, { input }, { db, principal }) => withUserErrors(() => createAlgorithm(db, principal, input as never)),
  },
  algorithmPayloadFields,
);

builder.relayMutationField(
  'updateAlgorithm',
  {
    inputFields: (t) => ({
      id: t.id({ required: true }),
      details: t.field({ type: DetailsInput }),
      settings: t.field({ type: SettingsInput }),
      versionInfo: t.field({ type: VersionInfoInput }),
    }),
  },
  {
    description: 'Changes only the fields given. Published versions keep their snapshot.',
    authScopes: MANAGE,
    resolve: (_root, { input }, { db, principal }) =>
      withUserErrors(() => updateAlgorithm(db, principal, { ...(input as never as object), id: localIdOf(String(input.id), 'Algorithm') })),
  },
  algorithmPayloadFields,
);

builder.relayMutationField(
  'publishAlgorithm',
  {
    inputFields: (t) => ({
      id: t.id({ required: true }),
      versionType: t.field({ type: VersionTypeEnum, required: true }),
      callability: t.field({ type: CallabilityEnum, description: 'Default: as the last version. Changes only with MAJOR.' }),
      releaseNotes: t.string(),
      sampleInput: t.string({ description: "Default: the algorithm's sampleInput." }),
      sampleOutput: t.string(),
    }),
  },
  {
    description: 'Publishes the algorithm as it is now as the next version (1.0.0 / 0.1.0 / 0.0.1 first).',
    authScopes: MANAGE,
    resolve: (_root, { input }, { db, principal }) =>
      withUserErrors(() => publishAlgorithm(db, principal, { ...input, id: localIdOf(String(input.id), 'Algorithm') })),
  },
  {
    outputFields: (t) => ({
      algorithm: t.field({ type: AlgorithmType, nullable: true, resolve: (p) => p.algorithm }),
      version: t.field({ type: AlgorithmVersionType, nullable: true, resolve: (p) => p.version }),
      userErrors: t.field({ type: [UserErrorType], resolve: (p) => p.userErrors }),
    }),
  },
);

const deletedIdField = (t: any) => ({
  deletedAlgorithmId: t.id({
    nullable: true,
    resolve: (p: { deletedAlgorithmId?: string }) => (p.deletedAlgorithmId ? encodeGlobalID('Algorithm', p.deletedAlgorithmId) : null),
  }),
  userErrors: t.field({ type: [UserErrorType], resolve: (p: { userErrors: unknown[] }) => p.userErrors }),
});

builder.relayMutationField(
  'deleteAlgorithm',
  { inputFields: (t) => ({ id: t.id({ required: true }) }) },
  {
    description: 'Deletes an algorithm that has no PUBLIC version (callers may depend on those: see adminDeleteAlgorithm).',
    authScopes: MANAGE,
    resolve: (_root, { input }, { db, principal }) =>
      withUserErrors(() => deleteAlgorithm(db, principal, { id: localIdOf(String(input.id), 'Algorithm') })),
  },
  { outputFields: deletedIdField },
);

builder.relayMutationField(
  'adminDeleteAlgorithm',
  { inputFields: (t) => ({ id: t.id({ required: true }) }) },
  {
    description: 'Deletes any algorithm, PUBLIC versions included. Admin keys only.',
    authScopes: { admin: true },
    resolve: (_root, { input }, { db, principal }) =>
      withUserErrors(() => adminDeleteAlgorithm(db, actorOf(principal), { id: localIdOf(String(input.id), 'Algorithm') })),
  },
  { outputFields: deletedIdField },
);
