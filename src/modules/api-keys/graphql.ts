import { adminActorOf } from '../../auth/permissions.js';
import { DEFAULT_KEY_NAME, permissionsOf, type CallerOriginRules } from '../../auth/principal.js';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { batched } from '../../graphql/batch.js';
import { builder, type SchemaTypes } from '../../graphql/builder.js';
import { withUserErrors } from '../../graphql/errors.js';
import { localIdOf } from '../../graphql/ids.js';
import { listBound } from '../../graphql/limits.js';
import { limits } from '../../core/limits.js';
import { AdminQuery } from '../../graphql/planes.js';
import { USER_ERRORS_DESCRIPTION, UserErrorType, WARNINGS_DESCRIPTION } from '../../graphql/user-error.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { enumFromDatabase } from '../../graphql/enums.js';
import { apiKeyKind, dataAccess } from '../../db/enums.js';
import type { ApiKeyRecord } from '../../db/records.js';
import { loadOwner, OwnerRef } from '../owners/graphql.js';
import {
  algorithmAccessOf,
  createAdminApiKey,
  DEFAULT_USAGE_DAYS,
  createApiKey,
  issueStandardApiKey,
  listApiKeys,
  MAX_GRACE_PERIOD_SECONDS,
  MAX_RATE_LIMIT_PER_MINUTE,
  revokeAdminApiKey,
  revokeApiKey,
  rollApiKey,
  setApiKeyRateLimit,
  updateApiKey,
  usageOfApiKeys,
  USAGE_RETENTION_DAYS,
  visibleApiKeys,
  type KeyUsageDay,
} from './service.js';
import { MAX_NAME_LENGTH } from '../../core/names.js';
import { boundedArgument } from '../../core/validation.js';
import { findApiKeysByIds, findApiKeysByName, listAllApiKeys } from './store.js';

export const ApiKeyKindEnum = enumFromDatabase('ApiKeyKind', apiKeyKind, {
  description: 'Which plane a key may use: standard fields or admin fields, never both.',
  values: {
    STANDARD: "Calls algorithms and manages its owner's resources (prefix `sim`).",
    ADMIN: 'Administers the cluster; may use only admin fields (prefix `adm`).',
  },
});

export const DataAccessEnum = enumFromDatabase('DataAccess', dataAccess, {
  description: 'What a key may do with the Data API (stored and shown here; the Data API enforces it).',
  values: {
    NONE: 'No Data API access.',
    READ: 'Read-only Data API access.',
    READ_WRITE: 'Read and write Data API access.',
  },
});

export const CallerOriginType = builder.objectRef<CallerOriginRules>('CallerOrigin').implement({
  description: 'Where calls made with a key may come from.',
  fields: (t) => ({
    allowNativeClients: t.exposeBoolean('allowNativeClients', {
      description: 'Requests without Origin/Referer (servers, CLIs, SDKs). Advisory: such clients can forge headers.',
    }),
    allowBrowser: t.exposeBoolean('allowBrowser', { description: 'Requests from web pages (they carry Origin or Referer).' }),
    referrerHosts: t.exposeStringList('referrerHosts', {
      description: 'Hostnames (or *.domain) browser calls must come from; empty means any.',
    }),
  }),
});

const AlgorithmAccessEntryType = builder
  .objectRef<{ entry: string; coveredBy: string | null }>('AlgorithmAccessEntry')
  .implement({
    description: 'One whitelist entry: algo://*, algo://<owner>/* or algo://<owner>/<algorithm>/*.',
    fields: (t) => ({
      pattern: t.exposeString('entry', { description: 'The entry in normal form: lower case, ending in /* (e.g. algo://acme/*).' }),
      redundant: t.boolean({
        description: 'Another entry already covers this one, so it has no effect.',
        resolve: (e) => e.coveredBy !== null,
      }),
      coveredBy: t.exposeString('coveredBy', { nullable: true, description: 'The entry that covers this one.' }),
    }),
  });

const ApiKeyUsageDayType = builder.objectRef<KeyUsageDay>('ApiKeyUsageDay').implement({
  description: 'The calls made with a key on one UTC day, as the authorizer decided them.',
  fields: (t) => ({
    day: t.expose('day', { type: 'Date', description: 'The UTC day.' }),
    calls: t.exposeInt('calls', { description: 'Calls allowed. Stops at 2147483647 (the largest Int).' }),
    refused: t.exposeInt('refused', {
      description: 'Calls refused for this key (its caller origin, whitelist, data access or budget). Stops at 2147483647.',
    }),
  }),
});

/** A key's usage over `days`, batched with every other key's of the request that asks for the same days. */
function loadUsage(context: GraphQLContext, key: ApiKeyRecord, days: number): Promise<KeyUsageDay[]> {
  return batched<ApiKeyRecord, KeyUsageDay[]>(context, `apiKeyUsage:${days}`, async (keys) => {
    const usage = await usageOfApiKeys(context.db, context.principal, keys, days);
    // A key shown here is one the caller may see (ApiKey's load): none is missing from `usage`.
    return keys.map((k) => usage.get(k.id) ?? []);
  }).load(key);
}

export const ApiKeyType = builder.loadableNode('ApiKey', {
  description: 'An API key. Its secret is shown once, when created or rolled, and never again.',
  id: { resolve: (key: ApiKeyRecord) => key.id },
  // Keys the caller may not see do not exist for it.
  load: async (ids: string[], context) => visibleApiKeys(context.db, context.principal, await findApiKeysByIds(context.db, ids)),
  sort: (key) => key.id,
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Unique per owner, 1 to 64 characters.' }),
    kind: t.expose('kind', { type: ApiKeyKindEnum, description: 'Standard or admin key.' }),
    mask: t.exposeString('mask', { description: 'Enough of the key to recognise it, e.g. simAbCd…wXyZ.' }),
    isDefault: t.boolean({
      description: "Whether this is its owner's `default-key`, the one code snippets name.",
      resolve: (key) => key.name === DEFAULT_KEY_NAME,
    }),
    owner: t.field({
      type: OwnerRef,
      description: 'The user or organization the key belongs to and acts for.',
      resolve: (key, _args, context) => loadOwner(context, key.ownerId).then((owner) => owner!),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the key was created.' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime', description: 'When its settings or its secret last changed (update or roll).' }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Recorded in batches: may lag real use by a few seconds (by up to KEY_CACHE_TTL_MS for uses through another instance).',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'When the key stops working; null: never.' }),
    disabled: t.exposeBoolean('disabled', { description: 'A disabled key is refused like an unknown one until enabled again.' }),
    algorithmAccess: t.field({
      type: [AlgorithmAccessEntryType],
      description: 'The algorithms this key may call. Empty: none.',
      extensions: listBound(() => limits().aclEntries),
      resolve: algorithmAccessOf,
    }),
    manageAlgorithms: t.exposeBoolean('manageAlgorithms', {
      description: "May create, update, publish and delete its owner's algorithms.",
    }),
    manageAccount: t.exposeBoolean('manageAccount', { description: "May manage its owner's API keys." }),
    dataAccess: t.expose('dataAccess', { type: DataAccessEnum, description: 'What the key may do with the Data API.' }),
    callerOrigin: t.field({
      type: CallerOriginType,
      description: 'Where calls with this key may come from.',
      resolve: (key) => permissionsOf(key).callerOrigin,
    }),
    rateLimitPerMinute: t.exposeInt('rateLimitPerMinute', {
      nullable: true,
      description: "This key's request budget per minute, set by an admin; null: the server default. Its budget of cost points scales with it (RATE_LIMIT_POINTS_PER_REQUEST points a request).",
    }),
    usage: t.field({
      type: [ApiKeyUsageDayType],
      description: `Calls made with this key per UTC day, newest first: one entry per day that has any, none for a day without calls. Recorded in batches (KEY_USAGE_FLUSH_MS), so today's may lag by a few seconds; kept ${USAGE_RETENTION_DAYS} days.`,
      args: {
        days: t.arg.int({
          required: true,
          defaultValue: DEFAULT_USAGE_DAYS,
          description: `How many UTC days back, today included: 1 to ${USAGE_RETENTION_DAYS}.`,
        }),
      },
      extensions: listBound(() => USAGE_RETENTION_DAYS),
      resolve: (key, { days }, context) => loadUsage(context, key, days),
    }),
  }),
});

/** A user's `default-key` as far as the caller may see it, batched with every other user's of the request. */
export function loadDefaultKey(context: GraphQLContext, userId: string): Promise<ApiKeyRecord | null> {
  return batched<string, ApiKeyRecord | null>(context, 'defaultKey', async (userIds) => {
    const keys = await visibleApiKeys(context.db, context.principal, await findApiKeysByName(context.db, userIds, DEFAULT_KEY_NAME));
    return userIds.map((id) => keys.find((key) => key.ownerId === id) ?? null);
  }).load(userId);
}

const ApiKeyConnection = builder.connectionObject(
  { type: ApiKeyType, name: 'ApiKeyConnection', description: 'A page of API keys.' },
  { description: 'An API key and its cursor.' },
);

const CallerOriginInput = builder.inputType('CallerOriginInput', {
  description: 'Where a key may be used from. Omitted fields keep their value (new keys: native only).',
  fields: (t) => ({
    allowNativeClients: t.boolean({ description: 'Allow requests without Origin/Referer (servers, CLIs, SDKs). New keys: true.' }),
    allowBrowser: t.boolean({ description: 'Allow requests from web pages (they carry Origin or Referer). New keys: false.' }),
    referrerHosts: t.stringList({ description: 'app.example.com or *.example.com, at most 100 of them; empty allows any origin.' }),
  }),
});

/** Key settings shared by create and update. */
const keySettingsFields = (t: PothosSchemaTypes.InputFieldBuilder<SchemaTypes, 'InputObject'>) => ({
  algorithmAccess: t.stringList({
    description:
      'algo://*, algo://<owner>/*, algo://<owner>/<algorithm>: at most MAX_ACL_ENTRIES entries (default 100). New keys default to none: they can call nothing.',
  }),
  manageAlgorithms: t.boolean({ description: "Create, update, publish and delete the owner's algorithms. Default false." }),
  manageAccount: t.boolean({ description: "Manage the owner's API keys. Default false." }),
  dataAccess: t.field({ type: DataAccessEnum, description: 'Default NONE.' }),
  callerOrigin: t.field({ type: CallerOriginInput, description: 'Where calls with the key may come from. New keys: native clients only.' }),
  expiresAt: t.field({
    type: 'DateTime',
    description:
      "When the key stops working. Create: absent or null, never. Update: absent keeps it, null removes it. A change that grants the key anything (a permission, a later or no expiry, re-enabling it) must leave it expiring no later than the calling key.",
  }),
});

const SECRET_DESCRIPTION = 'The key itself. Shown only here, once: store it now.';

builder.queryField('apiKeys', (t) =>
  t.connection(
    {
      type: ApiKeyType,
      description: "The keys of an owner this key manages: its own owner by default, or an organization its user owns.",
      authScopes: { $all: { standard: true, manageAccount: true } },
      args: { owner: t.arg.string({ description: 'Username or organization name.' }) },
      resolve: (_root, args, { db, principal }) => listApiKeys(db, principal, args),
    },
    ApiKeyConnection,
  ),
);

builder.relayMutationField(
  'createApiKey',
  {
    description: 'A new standard key. Omitted permissions take the defaults: no algorithms, no management, no data access, native clients only.',
    inputFields: (t) => ({
      name: t.string({
        required: true,
        description: 'Unique per owner, 1 to 64 characters, none of them control, bidi or zero-width. A key named default-key becomes the default.',
      }),
      owner: t.string({ description: "Username or organization name; default the calling key's owner." }),
      ...keySettingsFields(t),
    }),
  },
  {
    description: "Creates a standard key with at most the calling key's own permissions.",
    authScopes: { $all: { standard: true, manageAccount: true } },
    resolve: (_root, { input }, { db, principal }) => withUserErrors(() => createApiKey(db, principal, input)),
  },
  {
    description: 'The new key and its secret, or why it was not created.',
    outputFields: (t) => ({
      apiKey: t.field({ type: ApiKeyType, nullable: true, description: 'The new key.', resolve: (p) => p.apiKey }),
      secret: t.string({ nullable: true, description: SECRET_DESCRIPTION, resolve: (p) => p.secret ?? null }),
      warnings: t.field({ type: [UserErrorType], description: WARNINGS_DESCRIPTION, resolve: (p) => p.warnings ?? [] }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
    }),
  },
);

builder.relayMutationField(
  'updateApiKey',
  {
    description: "A key's changes. Absent fields keep their value.",
    inputFields: (t) => ({
      id: t.id({ required: true, description: "The key's global id." }),
      name: t.string({ description: 'Unique per owner, 1 to 64 characters, none of them control, bidi or zero-width.' }),
      disabled: t.boolean({ description: 'A disabled key is refused like an unknown one until enabled again.' }),
      ...keySettingsFields(t),
    }),
  },
  {
    description: 'Changes the given fields of a key no more powerful than the calling key, within its permissions.',
    authScopes: { $all: { standard: true, manageAccount: true } },
    resolve: (_root, { input }, context) => {
      const id = localIdOf(String(input.id), 'ApiKey');
      return withUserErrors(() => updateApiKey(context.db, context.principal, { ...input, id }, context.keyCache));
    },
  },
  {
    description: 'The key as changed, or why nothing changed.',
    outputFields: (t) => ({
      apiKey: t.field({ type: ApiKeyType, nullable: true, description: 'The key, after the change.', resolve: (p) => p.apiKey }),
      warnings: t.field({ type: [UserErrorType], description: WARNINGS_DESCRIPTION, resolve: (p) => p.warnings ?? [] }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
    }),
  },
);

builder.relayMutationField(
  'revokeApiKey',
  {
    description: 'Which key to revoke.',
    inputFields: (t) => ({ id: t.id({ required: true, description: "The key's global id." }) }),
  },
  {
    description: 'Deletes a key no more powerful than the calling key (or the calling key itself). It stops working at once.',
    authScopes: { $all: { standard: true, manageAccount: true } },
    resolve: (_root, { input }, context) => {
      const id = localIdOf(String(input.id), 'ApiKey');
      return withUserErrors(() => revokeApiKey(context.db, context.principal, { id }, context.keyCache));
    },
  },
  {
    description: "The revoked key's id, or why it was not revoked.",
    outputFields: (t) => ({
      revokedApiKeyId: t.id({
        nullable: true,
        description: 'The global id the revoked key had.',
        resolve: (p) => (p.revokedApiKeyId ? encodeGlobalID('ApiKey', p.revokedApiKeyId) : null),
      }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
    }),
  },
);

builder.relayMutationField(
  'rollApiKey',
  {
    description: 'Which key gets a new secret, and how long the old one lasts.',
    inputFields: (t) => ({
      id: t.id({ required: true, description: "The key's global id." }),
      gracePeriodSeconds: t.int({
        required: true,
        description: `How long the old secret keeps working: 0 (stops now) to ${MAX_GRACE_PERIOD_SECONDS} (24 h). A secret still in grace from an earlier roll stops now.`,
      }),
    }),
  },
  {
    description:
      'Issues a new secret for a key no more powerful than the calling key and expiring no later; the old one ends after the grace period, and any older one at once (at most two secrets work).',
    authScopes: { $all: { standard: true, manageAccount: true } },
    resolve: (_root, { input }, context) => {
      const id = localIdOf(String(input.id), 'ApiKey');
      return withUserErrors(() => rollApiKey(context.db, context.principal, { id, gracePeriodSeconds: input.gracePeriodSeconds }, context.keyCache));
    },
  },
  {
    description: 'The key and its new secret, or why it was not rolled.',
    outputFields: (t) => ({
      apiKey: t.field({ type: ApiKeyType, nullable: true, description: 'The key, with its new mask.', resolve: (p) => p.apiKey }),
      secret: t.string({ nullable: true, description: SECRET_DESCRIPTION, resolve: (p) => p.secret ?? null }),
      warnings: t.field({ type: [UserErrorType], description: WARNINGS_DESCRIPTION, resolve: (p) => p.warnings ?? [] }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
    }),
  },
);

// --- admin plane -------------------------------------------------------------------------------

builder.objectFields(AdminQuery, (t) => ({
  apiKeys: t.connection(
    {
      type: ApiKeyType,
      description: 'Every key, optionally of one owner and one kind, oldest first.',
      args: {
        owner: t.arg.string({ description: 'Username or organization name.' }),
        kind: t.arg({ type: ApiKeyKindEnum, description: 'Only keys of this kind.' }),
      },
      resolve: (_root, args, { db }) => listAllApiKeys(db, { ...args, owner: boundedArgument('owner', args.owner, MAX_NAME_LENGTH) }),
    },
    ApiKeyConnection,
  ),
}));

builder.relayMutationField(
  'createAdminApiKey',
  {
    description: 'A new admin key for a cluster administrator.',
    inputFields: (t) => ({
      username: t.string({ required: true, description: 'A cluster administrator.' }),
      name: t.string({ required: true, description: 'Unique per owner, 1 to 64 characters.' }),
    }),
  },
  {
    description: 'Mints an admin key for a cluster administrator. Admin keys only.',
    authScopes: { admin: true },
    resolve: (_root, { input }, { db, principal }) => withUserErrors(() => createAdminApiKey(db, adminActorOf(principal, 'createAdminApiKey'), input)),
  },
  {
    description: 'The new admin key and its secret, or why it was not created.',
    outputFields: (t) => ({
      apiKey: t.field({ type: ApiKeyType, nullable: true, description: 'The new key.', resolve: (p) => p.apiKey }),
      secret: t.string({ nullable: true, description: SECRET_DESCRIPTION, resolve: (p) => p.secret ?? null }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
    }),
  },
);

builder.relayMutationField(
  'adminCreateApiKey',
  {
    description: 'Whose standard key to create, and its settings (the defaults of createApiKey).',
    inputFields: (t) => ({
      username: t.string({ required: true, description: "The user who will own the key or, with organization, the member recorded as having made it." }),
      organization: t.string({ description: 'The organization that will own the key; absent, the user owns it.' }),
      name: t.string({
        required: true,
        description: 'Unique per owner, 1 to 64 characters, none of them control, bidi or zero-width. A key named default-key becomes the default.',
      }),
      ...keySettingsFields(t),
    }),
  },
  {
    description:
      "Creates a standard key for a user, or for an organization on behalf of a member: how an admin restores access to an owner that lost every key able to manage keys (give it manageAccount). Admin keys only.",
    authScopes: { admin: true },
    resolve: (_root, { input }, { db, principal }) => withUserErrors(() => issueStandardApiKey(db, adminActorOf(principal, 'adminCreateApiKey'), input)),
  },
  {
    description: 'The new key and its secret, or why it was not created.',
    outputFields: (t) => ({
      apiKey: t.field({ type: ApiKeyType, nullable: true, description: 'The new key.', resolve: (p) => p.apiKey }),
      secret: t.string({ nullable: true, description: SECRET_DESCRIPTION, resolve: (p) => p.secret ?? null }),
      warnings: t.field({ type: [UserErrorType], description: WARNINGS_DESCRIPTION, resolve: (p) => p.warnings ?? [] }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
    }),
  },
);

builder.relayMutationField(
  'setApiKeyRateLimit',
  {
    description: "Which key's budget to set, and to what.",
    inputFields: (t) => ({
      id: t.id({ required: true, description: "The key's global id (any key, standard or admin)." }),
      requestsPerMinute: t.int({
        description: `Requests per minute, 1 to ${MAX_RATE_LIMIT_PER_MINUTE}. Null (or absent) returns the key to the server default.`,
      }),
    }),
  },
  {
    description: "Sets any key's own request budget per minute, and so its budget of cost points (RATE_LIMIT_POINTS_PER_REQUEST points a request). Admin keys only.",
    authScopes: { admin: true },
    resolve: (_root, { input }, context) => {
      const id = localIdOf(String(input.id), 'ApiKey');
      return withUserErrors(() =>
        setApiKeyRateLimit(context.db, adminActorOf(context.principal, 'setApiKeyRateLimit'), { id, requestsPerMinute: input.requestsPerMinute ?? null }, context.keyCache),
      );
    },
  },
  {
    description: "The key with its new budget, or why it was not set.",
    outputFields: (t) => ({
      apiKey: t.field({ type: ApiKeyType, nullable: true, description: 'The key, after the change.', resolve: (p) => p.apiKey }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
    }),
  },
);

builder.relayMutationField(
  'revokeAdminApiKey',
  {
    description: 'Which admin key to revoke.',
    inputFields: (t) => ({ id: t.id({ required: true, description: "The admin key's global id." }) }),
  },
  {
    description: 'Deletes an admin key (any administrator\'s, including the calling one). Admin keys only.',
    authScopes: { admin: true },
    resolve: (_root, { input }, context) => {
      const id = localIdOf(String(input.id), 'ApiKey');
      return withUserErrors(() => revokeAdminApiKey(context.db, adminActorOf(context.principal, 'revokeAdminApiKey'), { id }, context.keyCache));
    },
  },
  {
    description: "The revoked admin key's id, or why it was not revoked.",
    outputFields: (t) => ({
      revokedApiKeyId: t.id({
        nullable: true,
        description: 'The global id the revoked key had.',
        resolve: (p) => (p.revokedApiKeyId ? encodeGlobalID('ApiKey', p.revokedApiKeyId) : null),
      }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
    }),
  },
);
