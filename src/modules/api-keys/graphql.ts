import { DEFAULT_KEY_NAME, permissionsOf, type CallerOriginRules } from '../../auth/principal.js';
import { builder } from '../../graphql/builder.js';
import { ownerLoader } from '../owners/graphql.js';
import { canSeeApiKey, findApiKeysByIds, type ApiKeyRecord } from './service.js';

export const ApiKeyKindEnum = builder.enumType('ApiKeyKind', {
  values: {
    STANDARD: { description: 'Calls algorithms and manages its owner\'s resources (prefix `sim`).' },
    ADMIN: { description: 'Administers the cluster; may use only admin fields (prefix `adm`).' },
  } as const,
});

export const DataAccessEnum = builder.enumType('DataAccess', {
  values: {
    NONE: { description: 'No Data API access.' },
    READ: { description: 'Read-only Data API access.' },
    READ_WRITE: { description: 'Read and write Data API access.' },
  } as const,
});

export const CallerOriginType = builder.objectRef<CallerOriginRules>('CallerOrigin').implement({
  description: 'Where calls made with a key may come from.',
  fields: (t) => ({
    allowNativeClients: t.exposeBoolean('allowNativeClients', {
      description: 'Requests without Origin/Referer (servers, CLIs, SDKs). Advisory: such clients can forge headers.',
    }),
    allowBrowser: t.exposeBoolean('allowBrowser', { description: 'Cross-origin requests from web pages.' }),
    referrerHosts: t.exposeStringList('referrerHosts', {
      description: 'Hostnames (or *.domain) browser calls must come from; empty means any.',
    }),
  }),
});

export const ApiKeyType = builder.loadableNode('ApiKey', {
  description: 'An API key. Its secret is shown once, when created or rolled, and never again.',
  id: { resolve: (key: ApiKeyRecord) => key.id },
  // Keys the caller may not see do not exist for it.
  load: async (ids: string[], context) =>
    (await findApiKeysByIds(context.db, ids)).filter((key) => canSeeApiKey(context.principal, key)),
  sort: (key) => key.id,
  fields: (t) => ({
    name: t.exposeString('name'),
    kind: t.expose('kind', { type: ApiKeyKindEnum }),
    mask: t.exposeString('mask', { description: 'Enough of the key to recognise it, e.g. simAbCd…wXyZ.' }),
    isDefault: t.boolean({
      description: 'Whether this is its owner\'s `default-key`, the one code snippets name.',
      resolve: (key) => key.name === DEFAULT_KEY_NAME,
    }),
    owner: t.loadable({ ...ownerLoader, resolve: (key) => key.ownerId }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastUsedAt: t.expose('lastUsedAt', {
      type: 'DateTime',
      nullable: true,
      description: 'Recorded in batches: may lag real use by a few seconds.',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
    disabled: t.exposeBoolean('disabled'),
    manageAlgorithms: t.exposeBoolean('manageAlgorithms', {
      description: 'May create, update, publish and delete its owner\'s algorithms.',
    }),
    manageAccount: t.exposeBoolean('manageAccount', { description: 'May manage its owner\'s API keys.' }),
    dataAccess: t.expose('dataAccess', { type: DataAccessEnum }),
    callerOrigin: t.field({ type: CallerOriginType, resolve: (key) => permissionsOf(key).callerOrigin }),
  }),
});
