/**
 * Algorithmia's admin key endpoints (REST-CONTRACT.md §6): a standard key issued by an admin for a
 * user (how a user who lost every key able to manage keys gets one back), an organization's keys,
 * and a key issued for an organization on behalf of a member. Algorithmia's `AuthPermissions` are
 * translated to algoplane's key permissions here; the rules are the service's.
 */
import { adminActorOf } from '../../auth/permissions.js';
import { permissionsOf } from '../../auth/principal.js';
import type { DataAccess } from '../../db/enums.js';
import { errorResponse, jsonResponse, serve, z, type ErrorMapping, type RestApp } from '../../rest/api.js';
import { restError } from '../../rest/envelope.js';
import { MAX_NAME_LENGTH } from '../../core/names.js';
import {
  apiKeyUsage,
  DEFAULT_USAGE_DAYS,
  issueStandardApiKey,
  MAX_LISTED_KEYS,
  organizationApiKeys,
  USAGE_RETENTION_DAYS,
  type AdminKeyView,
  type IssueStandardKeyInput,
} from './service.js';

/** A key's id in a path: a UUID, 36 characters. */
const MAX_KEY_ID_LENGTH = 36;
/** A number in a query string, before the service reads it. */
const MAX_NUMBER_LENGTH = 10;

/** Algorithmia's only standard key type; its admin key types are refused (they come from createAdminApiKey). */
const ALGORITHM_KEY = 'AlgorithmKey';
const MAX_REFERER_HOST_LENGTH = 2000;

const nameParam = (description: string) => z.string().max(MAX_NAME_LENGTH).openapi({ description });

const permissionFields = {
  allow_data: z.boolean().openapi({ description: 'May read data through the Data API (with `allow_data_write`: read and write).' }),
  allow_data_write: z.boolean().openapi({ description: 'May write data too; needs `allow_data`.' }),
  allow_algo: z.boolean().openapi({ description: 'May be used by native clients (servers, CLIs, SDKs: requests without Origin or Referer).' }),
  allow_web_algo: z.boolean().openapi({ description: 'May be used from web pages (requests with Origin or Referer).' }),
  // Bounded by the service's key settings (MAX_ACL_ENTRIES), as for GraphQL: one limit, one error.
  algo_acl: z
    .array(z.string())
    .openapi({
      description:
        'The algorithms the key may call: `algo://*`, `algo://<owner>/*`, `algo://<owner>/<algorithm>/*`, each at most 100 characters; at most MAX_ACL_ENTRIES of them (default 100). Empty: none.',
    }),
  referer_host: z
    .string()
    .max(MAX_REFERER_HOST_LENGTH)
    .optional()
    .openapi({
      description:
        'The hosts browser calls must come from, comma-separated (`app.example.com`, `*.example.com`). Absent or empty: any. Answers omit it when there is none.',
    }),
  allow_algo_management: z.boolean().optional().openapi({ description: "May create, update, publish and delete its owner's algorithms. Default false." }),
  allow_account_management: z.boolean().optional().openapi({
    description:
      "algoplane's: may manage its owner's API keys. Default false, as for every new key. A key given to a user who lost every key able to manage keys needs it.",
  }),
};

const authPermissions = z.object(permissionFields).openapi('AuthPermissions');

const apiKeyCreation = z
  .object({
    key_label: z.string().openapi({ description: 'The key\'s name, unique per owner, 1 to 64 characters.' }),
    key_type: z
      .string()
      .refine((type) => type === ALGORITHM_KEY, {
        message: `must be ${ALGORITHM_KEY}: admin keys (PlatformAdminKey, ManagementKey) are made by the GraphQL mutation createAdminApiKey`,
      })
      .openapi({ type: 'string', enum: [ALGORITHM_KEY] }),
    permissions: authPermissions,
  })
  .openapi('ApiKeyCreation');

const apiKey = z
  .object({
    id: z.string().openapi({ description: "The key's UUID." }),
    username: z.string().openapi({ description: "The user the key belongs to; for an organization's key, the member who made it." }),
    key_label: z.string(),
    created_at: z.string().openapi({ format: 'date-time' }),
    api_key_mask: z.string().openapi({ description: 'Enough of the key to recognise it, e.g. simAbCd…wXyZ.' }),
    api_key: z.string().nullable().optional().openapi({
      description: 'The key itself: only in the answer that created it, once (null in an Idempotency-Key replay, absent in lists).',
    }),
    key_type: z.enum([ALGORITHM_KEY]),
    permissions: authPermissions,
    owner_name: z.string().openapi({ description: 'The user or organization the key belongs to and acts for.' }),
  })
  .openapi('ApiKey');

type RestApiKey = z.infer<typeof apiKey>;
type RestPermissions = z.infer<typeof authPermissions>;

/** The service's fields as this body names them. */
const FIELDS: Record<string, string> = {
  name: 'key_label',
  algorithmAccess: 'permissions.algo_acl',
  callerOrigin: 'permissions',
  referrerHosts: 'referer_host',
  allowNativeClients: 'allow_algo',
  allowBrowser: 'allow_web_algo',
};

function dataAccessOf(permissions: RestPermissions): DataAccess {
  if (permissions.allow_data_write && !permissions.allow_data) {
    throw restError(400, 'invalidInput', 'permissions.allow_data_write: needs allow_data (writing data includes reading it)');
  }
  return permissions.allow_data_write ? 'READ_WRITE' : permissions.allow_data ? 'READ' : 'NONE';
}

/** An `ApiKeyCreation` as the service's input. */
function settingsOf(body: z.infer<typeof apiKeyCreation>): Omit<IssueStandardKeyInput, 'username' | 'organization'> {
  const { permissions } = body;
  return {
    name: body.key_label,
    algorithmAccess: permissions.algo_acl,
    manageAlgorithms: permissions.allow_algo_management ?? false,
    manageAccount: permissions.allow_account_management ?? false,
    dataAccess: dataAccessOf(permissions),
    callerOrigin: {
      allowNativeClients: permissions.allow_algo,
      allowBrowser: permissions.allow_web_algo,
      referrerHosts: (permissions.referer_host ?? '').split(',').map((host) => host.trim()).filter((host) => host !== ''),
    },
  };
}

function toRest({ apiKey: key, owner, createdBy }: AdminKeyView, secret?: string): RestApiKey {
  const permissions = permissionsOf(key);
  const { referrerHosts } = permissions.callerOrigin;
  return {
    id: key.id,
    username: owner.kind === 'USER' ? owner.name : (createdBy ?? owner.name),
    key_label: key.name,
    created_at: key.createdAt.toISOString(),
    api_key_mask: key.mask,
    ...(secret === undefined ? {} : { api_key: secret }),
    key_type: ALGORITHM_KEY,
    permissions: {
      allow_data: permissions.dataAccess !== 'NONE',
      allow_data_write: permissions.dataAccess === 'READ_WRITE',
      allow_algo: permissions.callerOrigin.allowNativeClients,
      allow_web_algo: permissions.callerOrigin.allowBrowser,
      algo_acl: permissions.algorithmAccess,
      ...(referrerHosts.length > 0 ? { referer_host: referrerHosts.join(',') } : {}),
      allow_algo_management: permissions.manageAlgorithms,
      allow_account_management: permissions.manageAccount,
    },
    owner_name: owner.name,
  };
}

const usageDay = z
  .object({
    day: z.string().openapi({ format: 'date', description: 'The UTC day, as an ISO date (2026-01-31).' }),
    calls: z.number().int().openapi({ description: 'Calls allowed. Stops at 2147483647.' }),
    refused: z.number().int().openapi({ description: "Calls refused for this key (its caller origin, whitelist, data access or budget). Stops at 2147483647." }),
  })
  .openapi('ApiKeyUsageDay');

const keyUsage = z
  .object({
    key_id: z.string().openapi({ description: "The key's UUID." }),
    results: z.array(usageDay).openapi({ description: 'One entry per day with calls, newest first; a day without calls has none.' }),
  })
  .openapi('ApiKeyUsage');

const creationBody = { content: { 'application/json': { schema: apiKeyCreation } }, required: true };
const created = (description: string) => ({ description, content: { 'application/json': { schema: apiKey } } });

const userKeyErrors: ErrorMapping = { invalid: 'invalidInput', notFound: { '*': 'userNotFound' }, conflict: { name: [409, 'invalidInput'] }, fields: FIELDS };
const organizationKeyErrors: ErrorMapping = {
  invalid: 'invalidInput',
  notFound: { username: 'userNotFound', '*': 'organizationNotFound' },
  conflict: { name: [409, 'invalidInput'] },
  fields: FIELDS,
};

export function apiKeyRoutes(app: RestApp): void {
  serve(
    app,
    {
      plane: 'admin',
      errors: userKeyErrors,
      route: {
        method: 'post',
        path: '/v1/admin/users/{username}/keys',
        operationId: 'importApiKey',
        tags: ['keys'],
        summary: 'Issue a standard key for a user',
        description:
          "A new standard key owned by the user, with the given permissions (`allow_account_management` lets it manage the user's keys). How an admin restores access to a user who lost every key able to manage keys. The secret is in `api_key` of this answer only.",
        request: { params: z.object({ username: nameParam('The user who will own the key.') }), body: creationBody },
        responses: {
          200: created('The new key, with its secret.'),
          400: errorResponse('The body is invalid (the message names the field).'),
          404: errorResponse('No such user (3000).'),
          409: errorResponse('The user already has a key with this key_label, or holds as many keys as the server allows (2015; the message names the quota and its limit).'),
        },
      },
    },
    async (c) => {
      const { username } = c.req.valid('param');
      const body = c.req.valid('json');
      const { secret, ...view } = await issueStandardApiKey(c.env.db, adminActorOf(c.env.principal, 'importApiKey'), { ...settingsOf(body), username });
      return c.json(toRest(view, secret), 200);
    },
  );

  serve(
    app,
    {
      plane: 'admin',
      errors: { invalid: 'invalidInput', notFound: { '*': 'organizationNotFound' } },
      route: {
        method: 'get',
        path: '/v1/organizations/{orgName}/keys',
        operationId: 'listKeys',
        tags: ['keys'],
        summary: "An organization's keys",
        description: `The organization's standard keys, oldest first, at most ${MAX_LISTED_KEYS} (GraphQL's \`admin { apiKeys(owner:) }\` pages through more). Secrets are never shown: \`api_key_mask\` identifies each key.`,
        request: { params: z.object({ orgName: nameParam('The organization.') }) },
        responses: {
          200: { description: 'The keys.', content: { 'application/json': { schema: z.array(apiKey) } } },
          404: errorResponse('No such organization (3100).'),
        },
      },
    },
    async (c) => {
      const { orgName } = c.req.valid('param');
      const views = await organizationApiKeys(c.env.db, adminActorOf(c.env.principal, 'listKeys'), { organization: orgName });
      return c.json(views.map((view) => toRest(view)), 200);
    },
  );

  serve(
    app,
    {
      plane: 'admin',
      errors: organizationKeyErrors,
      route: {
        method: 'post',
        path: '/v1/organizations/{orgName}/members/{username}/keys',
        operationId: 'addOrganizationApiKey',
        tags: ['keys'],
        summary: 'Issue a standard key for an organization, made by a member',
        description:
          'A new standard key owned by the organization and recorded as made by the member. The secret is in `api_key` of this answer only.',
        request: {
          params: z.object({ orgName: nameParam('The organization that will own the key.'), username: nameParam('A member of the organization.') }),
          body: creationBody,
        },
        responses: {
          201: created('The new key, with its secret.'),
          400: errorResponse('The body is invalid (the message names the field).'),
          404: errorResponse('No such organization (3100), or no such user, or the user is not a member (3000).'),
          409: errorResponse('The organization already has a key with this key_label, or holds as many keys as the server allows (2015; the message names the quota and its limit).'),
        },
      },
    },
    async (c) => {
      const { orgName, username } = c.req.valid('param');
      const body = c.req.valid('json');
      const actor = adminActorOf(c.env.principal, 'addOrganizationApiKey');
      const { secret, ...view } = await issueStandardApiKey(c.env.db, actor, { ...settingsOf(body), username, organization: orgName });
      return c.json(toRest(view, secret), 201);
    },
  );

  serve(
    app,
    {
      plane: 'any',
      errors: { invalid: 'invalidInput', notFound: { '*': 'apiKeyNotFound' } },
      route: {
        method: 'get',
        path: '/v1/keys/{keyId}/usage',
        operationId: 'getApiKeyUsage',
        tags: ['keys'],
        summary: "A key's calls per day",
        description: `The calls made with a key per UTC day, as the authorizer decided them, allowed and refused; recorded in batches (KEY_USAGE_FLUSH_MS) and kept ${USAGE_RETENTION_DAYS} days. Any key may read its own; a key that may manage its owner's keys reads theirs (and those of the organizations its user owns); an admin key reads any. Any other key is 404, as if it did not exist.`,
        request: {
          params: z.object({ keyId: z.string().max(MAX_KEY_ID_LENGTH).openapi({ description: "The key's UUID (`id` in the key objects)." }) }),
          query: z.object({
            days: z
              .string()
              .max(MAX_NUMBER_LENGTH)
              .optional()
              .openapi({ description: `How many UTC days back, today included: 1 to ${USAGE_RETENTION_DAYS} (default ${DEFAULT_USAGE_DAYS}).`, example: '30' }),
          }),
        },
        responses: {
          200: jsonResponse(keyUsage, "The key's days with calls, newest first."),
          400: errorResponse('A bad `days` (6001; the message names it and its bounds).'),
          404: errorResponse('No such key, or one this key may not see (2015).'),
        },
      },
    },
    async (c) => {
      const { keyId } = c.req.valid('param');
      const { days } = c.req.valid('query');
      const { apiKey: key, usage } = await apiKeyUsage(c.env.db, c.env.principal, { id: keyId, days: days === undefined ? DEFAULT_USAGE_DAYS : Number(days) });
      return c.json({ key_id: key.id, results: usage }, 200);
    },
  );
}
