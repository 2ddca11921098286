/**
 * Algorithmia's organization, member and organization-type endpoints (REST-CONTRACT.md §5): admin
 * keys only but for the types, over the same services and store reads as GraphQL's admin plane.
 */
import { createRoute } from '@hono/zod-openapi';
import { adminActorOf } from '../../auth/permissions.js';
import { ServiceError } from '../../core/errors.js';
import { memberRole, organizationType, type OrganizationType } from '../../db/enums.js';
import type { Db } from '../../db/connect.js';
import type { OrganizationRecord } from '../../db/records.js';
import { jsonBody, jsonResponse, originOf, serve, z, type ErrorMapping, type RestApp } from '../../rest/api.js';
import { MAX_NAME_LENGTH } from '../../core/names.js';
import { restEnum } from '../../rest/enums.js';
import { restError } from '../../rest/envelope.js';
import { pagedResults, pageQuery, restPage } from '../../rest/paging.js';
import { findUsersByIds } from '../users/store.js';
import { addOrganizationMember, createOrganization, deleteOrganization, removeOrganizationMember, updateOrganization } from './service.js';
import { findOrganizationByName, listOrganizations, memberPages, ownerIdsOf } from './store.js';

const TAGS = ['organizations'];

const TYPE = restEnum(organizationType.enumValues);
const ROLE = restEnum(memberRole.enumValues);

/**
 * Each organization type's id: Algorithmia's clients look a type's id up by name in
 * `GET /v1/organization/types` and send it as `type_id`, so the ids never change. The type is a
 * database enum, whose values these fixed ids stand for.
 */
const TYPE_IDS: Record<OrganizationType, string> = {
  BASIC: 'f2a87ba8-c7b7-419d-b987-afe020821059',
  LEGACY: 'b2dc6f6a-300e-470a-b5b5-0b0820ae5f48',
  PRO: '2a4a4479-70ce-4404-a2d2-c3b2d703777f',
};
const TYPE_BY_ID = new Map(organizationType.enumValues.map((type) => [TYPE_IDS[type], type]));

/** The type a `type_id` names; absent or null keeps the service's default (or the current type). */
function typeNamed(typeId: string | null | undefined): OrganizationType | undefined {
  if (typeId === null || typeId === undefined) return undefined;
  const type = TYPE_BY_ID.get(typeId.toLowerCase());
  if (!type) throw restError(400, 'organizationTypeNotFound', `type_id: no organization type ${JSON.stringify(typeId.slice(0, 40))}; see GET /v1/organization/types.`);
  return type;
}

const organizationTypeSchema = z
  .object({
    id: z.string().openapi({ format: 'uuid', description: "The type's id: what `type_id` of an organization holds.", example: TYPE_IDS.BASIC }),
    name: z.string().openapi({ description: "The type's name.", enum: [...TYPE.values], example: 'basic' }),
  })
  .openapi('OrganizationType');

const text = (description: string) => z.string().nullable().openapi({ description });

const organizationSchema = z
  .object({
    id: z.string().openapi({ format: 'uuid', description: "The organization's immutable id." }),
    org_name: z.string().openapi({ description: 'Letters, digits and underscores, starting with a letter; at most 30. Shares the namespace with usernames; never changes.', example: 'AcmeCorp' }),
    org_label: z.string().openapi({ description: 'Display name, 1 to 100 characters.', example: 'Acme Corporation' }),
    org_contact_name: text('Who to contact; null when not given.'),
    org_email: text('Contact email; null when not given.'),
    org_url: text('Its web site (an http:// or https:// URL); null when not given.'),
    type_id: z.string().openapi({ format: 'uuid', description: 'The id of its type (see `GET /v1/organization/types`).' }),
    org_created_at: z.string().openapi({ format: 'date-time', description: 'When the organization was created.' }),
    owner_ids: z.array(z.string()).openapi({ description: "The ids of the users who own it (at least one), oldest first." }),
    external_id: text('Not modelled: always null.'),
    external_admin_group: z.array(z.string()).nullable().openapi({ description: 'Not modelled: always null.' }),
    external_member_group: z.array(z.string()).nullable().openapi({ description: 'Not modelled: always null.' }),
    stripe_customer_id: text('Not modelled: always null.'),
    resource_type: z.literal('organization').openapi({ description: 'Always `organization`.' }),
    self_link: z.string().openapi({ description: 'The URL of this organization.', example: 'https://api.example.com/v1/organizations/AcmeCorp' }),
  })
  .openapi('Organization');

const organizationView = (origin: string, organization: OrganizationRecord, ownerIds: string[]): z.infer<typeof organizationSchema> => ({
  id: organization.id,
  org_name: organization.name,
  org_label: organization.label,
  org_contact_name: organization.contactName,
  org_email: organization.email,
  org_url: organization.url,
  type_id: TYPE_IDS[organization.type],
  org_created_at: organization.createdAt.toISOString(),
  owner_ids: ownerIds,
  external_id: null,
  external_admin_group: null,
  external_member_group: null,
  stripe_customer_id: null,
  resource_type: 'organization',
  self_link: `${origin}/v1/organizations/${organization.name}`,
});

/** One organization as an answer: its owners read along. */
async function organizationAnswer(db: Db, origin: string, organization: OrganizationRecord) {
  const ownerIds = await ownerIdsOf(db, [organization.id]);
  return organizationView(origin, organization, ownerIds.get(organization.id) ?? []);
}

const memberSchema = z
  .object({
    username: z.string().openapi({ description: "The member's username." }),
    role: z.string().openapi({ description: "The member's role in the organization.", enum: [...ROLE.values] }),
    user_link: z.string().openapi({ description: 'The URL of the member (`GET /v1/users/{username}`).' }),
    resource_type: z.literal('organization_member').openapi({ description: 'Always `organization_member`.' }),
  })
  .openapi('OrganizationMember');

const optional = (description: string) => z.string().nullish().openapi({ description });
const typeIdField = z
  .string()
  .max(100)
  .nullish()
  .openapi({ format: 'uuid', description: 'The id of a type from `GET /v1/organization/types`; absent or null: basic on creation, unchanged on update.' });

// Unknown and read-only fields are ignored: the Node client sends `resource_type` on creation and
// the whole GET answer back on update.
const createBody = z
  .object({
    org_name: z.string().openapi({ description: 'Letters, digits and underscores, starting with a letter; at most 30. Shares the namespace with usernames; never reissued.' }),
    org_label: z.string().openapi({ description: 'Display name, 1 to 100 characters.' }),
    org_contact_name: optional('Who to contact: free text, at most 200 characters.'),
    org_email: optional('Contact email, at most 254 characters.'),
    org_url: optional('An http:// or https:// URL, at most 2000 characters.'),
    type_id: typeIdField,
  })
  .loose()
  .openapi('OrganizationCreation');

const updateBody = z
  .object({
    org_label: optional('Display name, 1 to 100 characters.'),
    org_contact_name: optional('Who to contact: free text, at most 200 characters; blank clears it.'),
    org_email: optional('Contact email, at most 254 characters.'),
    org_url: optional('An http:// or https:// URL, at most 2000 characters.'),
    type_id: typeIdField,
  })
  .loose()
  .openapi('OrganizationUpdate');

const nameParam = (name: string, description: string) =>
  z.string().max(MAX_NAME_LENGTH).openapi({ param: { name, in: 'path' }, description });
const orgParams = z.object({ orgName: nameParam('orgName', "The organization's name, matched case-insensitively.") });
const memberParams = orgParams.extend({ username: nameParam('username', "The user's username, matched case-insensitively.") });

/** How the organizations services' errors read: their fields by Algorithmia's names. */
const ORGANIZATION_ERRORS: ErrorMapping = {
  invalid: 'malformedOrganization',
  notFound: { '*': 'organizationNotFound' },
  fields: { name: 'org_name', label: 'org_label', contactName: 'org_contact_name', email: 'org_email', url: 'org_url', type: 'type_id' },
};
const MEMBER_ERRORS: ErrorMapping = { ...ORGANIZATION_ERRORS, notFound: { username: 'userNotFound', '*': 'organizationNotFound' } };

/** Null keeps a field as absence does: clients send back the object they read, nulls and all. */
const keep = <T>(value: T | null | undefined): T | undefined => value ?? undefined;

/**
 * Runs a deletion that Algorithmia's API answers 204 also when there was nothing to delete: the
 * service's NOT_FOUND on `field` (the thing deleted) means it is already gone.
 */
async function deleting(field: string, work: () => Promise<unknown>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const absent = error instanceof ServiceError && error.errors.every((e) => e.code === 'NOT_FOUND' && e.field?.[0] === field);
    if (!absent) throw error;
  }
}

export function organizationRoutes(app: RestApp): void {
  serve(
    app,
    {
      route: createRoute({
        method: 'get',
        path: '/v1/organization/types',
        operationId: 'getAllOrganizationTypes',
        tags: TAGS,
        summary: 'List organization types',
        description: "Every organization type, by id and name. Clients look a type's id up here to send it as an organization's `type_id`. Standard and admin keys.",
        responses: { 200: jsonResponse(z.array(organizationTypeSchema).openapi('OrganizationTypeListResult'), 'The organization types.') },
      }),
      plane: 'any',
      errors: ORGANIZATION_ERRORS,
    },
    (c) => c.json(organizationType.enumValues.map((type) => ({ id: TYPE_IDS[type], name: TYPE.toRest(type) })), 200),
  );

  serve(
    app,
    {
      route: createRoute({
        method: 'get',
        path: '/v1/organizations',
        operationId: 'getOrganizations',
        tags: TAGS,
        summary: 'List organizations',
        description: 'Every organization, oldest first, a page at a time: pass `marker` (or follow `next_link`) for the next page. Admin keys only.',
        request: { query: z.object(pageQuery) },
        responses: { 200: jsonResponse(pagedResults(organizationSchema, 'PagedOrganizationList'), 'A page of organizations.') },
      }),
      plane: 'admin',
      errors: ORGANIZATION_ERRORS,
    },
    async (c) => {
      const { db } = c.env;
      const origin = originOf(c);
      const page = await restPage(
        new URL(c.req.url),
        c.req.valid('query'),
        async (args) => {
          const found = await listOrganizations(db, args);
          const ownerIds = await ownerIdsOf(db, found.edges.map((edge) => edge.node.id));
          return { ...found, edges: found.edges.map(({ node, cursor }) => ({ cursor, node: organizationView(origin, node, ownerIds.get(node.id) ?? []) })) };
        },
        (view) => view,
      );
      return c.json(page, 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        method: 'post',
        path: '/v1/organizations',
        operationId: 'createOrganization',
        tags: TAGS,
        summary: 'Create an organization',
        description:
          "Creates an organization; the admin key's user becomes its first owner. `org_name` and `org_label` are required; unknown and read-only fields are ignored. Admin keys only.",
        request: jsonBody(createBody),
        responses: { 200: jsonResponse(organizationSchema, 'The new organization.') },
      }),
      plane: 'admin',
      errors: { ...ORGANIZATION_ERRORS, conflict: { name: [409, 'organizationNameTaken'] } },
    },
    async (c) => {
      const input = c.req.valid('json');
      const { db, principal } = c.env;
      const { organization } = await createOrganization(db, adminActorOf(principal, 'createOrganization'), {
        name: input.org_name,
        label: input.org_label,
        contactName: input.org_contact_name,
        email: input.org_email,
        url: input.org_url,
        type: typeNamed(input.type_id),
        // "The calling user is automatically added as a member of the org and is granted org admin permissions."
        owners: principal.userId === null ? [] : [principal.ownerName],
      }, c.env.keys);
      return c.json(await organizationAnswer(db, originOf(c), organization), 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        method: 'get',
        path: '/v1/organizations/{orgName}',
        operationId: 'getOrganization',
        tags: TAGS,
        summary: 'Get an organization',
        description: 'A live organization by name. Admin keys only.',
        request: { params: orgParams },
        responses: { 200: jsonResponse(organizationSchema, 'The organization.') },
      }),
      plane: 'admin',
      errors: ORGANIZATION_ERRORS,
    },
    async (c) => {
      const { db } = c.env;
      const organization = await findOrganizationByName(db, c.req.valid('param').orgName);
      if (!organization) throw restError(404, 'organizationNotFound');
      return c.json(await organizationAnswer(db, originOf(c), organization), 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        method: 'put',
        path: '/v1/organizations/{orgName}',
        operationId: 'editOrganization',
        tags: TAGS,
        summary: 'Update an organization',
        description:
          'Changes the fields given; absent or null fields keep their value. The organization is the one in the path (its name never changes); read-only and unknown fields (`id`, `org_name`, `org_created_at`, `owner_ids`, `self_link`, …) are ignored, so the object read with GET may be sent back changed. Admin keys only.',
        request: { params: orgParams, ...jsonBody(updateBody) },
        responses: { 204: { description: 'The organization was updated.' } },
      }),
      plane: 'admin',
      errors: ORGANIZATION_ERRORS,
    },
    async (c) => {
      const input = c.req.valid('json');
      await updateOrganization(
        c.env.db,
        adminActorOf(c.env.principal, 'editOrganization'),
        {
          organization: c.req.valid('param').orgName,
          label: keep(input.org_label),
          contactName: keep(input.org_contact_name),
          email: keep(input.org_email),
          url: keep(input.org_url),
          type: typeNamed(input.type_id),
        },
        c.env.keys,
      );
      return c.body(null, 204);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        method: 'delete',
        path: '/v1/organizations/{orgName}',
        operationId: 'deleteOrganization',
        tags: TAGS,
        summary: 'Delete an organization',
        description:
          'Deletes an organization: its keys stop working, its memberships and private algorithms are removed, its name is never reissued. Also 204 when there is no such organization. Refused (409) while it has algorithms with public versions. Admin keys only.',
        request: { params: orgParams },
        responses: { 204: { description: 'The organization is deleted (or there was none).' } },
      }),
      plane: 'admin',
      // Refusals here are about the organization's algorithms, not its JSON: the service's message says why.
      errors: { ...ORGANIZATION_ERRORS, invalid: 'invalidRequest' },
    },
    async (c) => {
      const { orgName } = c.req.valid('param');
      await deleting('organization', () =>
        deleteOrganization(c.env.db, adminActorOf(c.env.principal, 'deleteOrganization'), { organization: orgName }, c.env.keys),
      );
      return c.body(null, 204);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        method: 'get',
        path: '/v1/organizations/{orgName}/members',
        operationId: 'listMembers',
        tags: TAGS,
        summary: 'List organization members',
        description: 'Its members with their roles, oldest membership first, a page at a time. Admin keys only.',
        request: { params: orgParams, query: z.object(pageQuery) },
        responses: { 200: jsonResponse(pagedResults(memberSchema, 'PagedOrganizationMemberList'), 'A page of members.') },
      }),
      plane: 'admin',
      errors: ORGANIZATION_ERRORS,
    },
    async (c) => {
      const { db } = c.env;
      const organization = await findOrganizationByName(db, c.req.valid('param').orgName);
      if (!organization) throw restError(404, 'organizationNotFound');
      const origin = originOf(c);
      const page = await restPage(
        new URL(c.req.url),
        c.req.valid('query'),
        async (args) => {
          const members = (await memberPages(db, [organization.id], args)).get(organization.id)!;
          const usernames = new Map((await findUsersByIds(db, members.edges.map((edge) => edge.node.userId))).map((user) => [user.id, user.username]));
          return { ...members, edges: members.edges.map(({ node, cursor }) => ({ cursor, node: { ...node, username: usernames.get(node.userId)! } })) };
        },
        (member): z.infer<typeof memberSchema> => ({
          username: member.username,
          role: ROLE.toRest(member.role),
          user_link: `${origin}/v1/users/${member.username}`,
          resource_type: 'organization_member',
        }),
      );
      return c.json(page, 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        method: 'put',
        path: '/v1/organizations/{orgName}/members/{username}',
        operationId: 'addOrganizationMember',
        tags: TAGS,
        summary: 'Add a user to an organization',
        description: 'Adds the user as a member (no body). A user who is already a member keeps its role. Admin keys only.',
        request: { params: memberParams },
        responses: {
          200: { description: 'The user was already a member of this organization.' },
          201: { description: 'The user was added to the organization.' },
        },
      }),
      plane: 'admin',
      errors: MEMBER_ERRORS,
    },
    async (c) => {
      const { orgName, username } = c.req.valid('param');
      const { added } = await addOrganizationMember(c.env.db, adminActorOf(c.env.principal, 'addOrganizationMember'), {
        organization: orgName,
        username,
        role: 'MEMBER',
        ifMember: 'keep',
      }, c.env.keys);
      return added ? c.body(null, 201) : c.body(null, 200);
    },
  );

  serve(
    app,
    {
      route: createRoute({
        method: 'delete',
        path: '/v1/organizations/{orgName}/members/{username}',
        operationId: 'removeOrganizationMember',
        tags: TAGS,
        summary: 'Remove a user from an organization',
        description:
          'Removes the member. Also 204 when the user was not a member or does not exist. The last owner cannot be removed (400). Admin keys only.',
        request: { params: memberParams },
        responses: { 204: { description: 'The user was removed, was not a member, or does not exist.' } },
      }),
      plane: 'admin',
      errors: { ...MEMBER_ERRORS, conflict: { username: [400, 'lastOwner'] } },
    },
    async (c) => {
      const { orgName, username } = c.req.valid('param');
      await deleting('username', () =>
        removeOrganizationMember(c.env.db, adminActorOf(c.env.principal, 'removeOrganizationMember'), { organization: orgName, username }, c.env.keys),
      );
      return c.body(null, 204);
    },
  );
}
