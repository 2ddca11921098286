import { encodeGlobalID } from '@pothos/plugin-relay';
import { adminActorOf } from '../../auth/permissions.js';
import { batched } from '../../graphql/batch.js';
import { builder, type SchemaTypes } from '../../graphql/builder.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { withUserErrors } from '../../graphql/errors.js';
import { AdminQuery } from '../../graphql/planes.js';
import { UserErrorType } from '../../graphql/user-error.js';
import { OwnerRef } from '../owners/graphql.js';
import {
  addOrganizationMember,
  createOrganization,
  deleteOrganization,
  findOrganizationByName,
  findOrganizationsByIds,
  listMembers,
  listOrganizations,
  membershipsOf,
  removeOrganizationMember,
  setOrganizationMemberRole,
  updateOrganization,
} from './service.js';
import type { MembershipRecord, OrganizationRecord } from '../../db/records.js';

export const OrganizationTypeEnum = builder.enumType('OrganizationType', { values: ['BASIC', 'LEGACY', 'PRO'] as const });
export const MemberRoleEnum = builder.enumType('MemberRole', {
  values: {
    OWNER: { description: 'Manages members and keys, publishes PUBLIC, deletes algorithms.' },
    MEMBER: { description: "Creates, updates and publishes (PRIVATE) the organization's algorithms." },
  } as const,
});

/** The caller's memberships, loaded once per request. */
export function viewerMemberships(context: GraphQLContext): Promise<MembershipRecord[]> {
  const userId = context.principal.userId;
  if (userId === null) return Promise.resolve([]);
  return batched<string, MembershipRecord[]>(context, 'viewerMemberships', async (ids) => {
    const found = await membershipsOf(context.db, ids);
    return ids.map((id) => found.filter((m) => m.userId === id));
  }).load(userId);
}

/** Admins, the organization's own keys and its members see its contacts and members. */
async function seesInside(context: GraphQLContext, organization: OrganizationRecord): Promise<boolean> {
  const { principal } = context;
  if (principal.keyKind === 'ADMIN' || principal.ownerId === organization.id) return true;
  return (await viewerMemberships(context)).some((m) => m.organizationId === organization.id);
}

export const MembershipType = builder.objectRef<MembershipRecord>('OrganizationMembership');

export const OrganizationType = builder.loadableNode('Organization', {
  description: 'A group of users that owns algorithms and keys under its own name. Contacts and members are shown to members.',
  interfaces: [OwnerRef],
  id: { resolve: (organization: OrganizationRecord) => organization.id },
  load: (ids: string[], context) => findOrganizationsByIds(context.db, ids),
  sort: (organization) => organization.id,
  isTypeOf: (value) => (value as { kind?: string }).kind === 'ORGANIZATION',
  fields: (t) => ({
    label: t.exposeString('label'),
    url: t.exposeString('url', { nullable: true }),
    type: t.expose('type', { type: OrganizationTypeEnum }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    contactName: t.string({
      nullable: true,
      resolve: async (o, _args, context) => ((await seesInside(context, o)) ? o.contactName : null),
    }),
    email: t.string({
      nullable: true,
      resolve: async (o, _args, context) => ((await seesInside(context, o)) ? o.email : null),
    }),
    members: t.connection(
      {
        type: MembershipType,
        nullable: true,
        description: 'Null unless you are a member (or an admin).',
        resolve: async (o, args, context) => ((await seesInside(context, o)) ? listMembers(context.db, o.id, args) : null),
      },
      { name: 'OrganizationMemberConnection' },
      { name: 'OrganizationMemberEdge' },
    ),
  }),
});

// `user` is added by the users module, which owns the User type.
MembershipType.implement({
  description: "A user's membership of an organization.",
  fields: (t) => ({
    organization: t.field({ type: OrganizationType, resolve: (m) => m.organizationId }),
    role: t.expose('role', { type: MemberRoleEnum }),
    since: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

builder.queryField('organization', (t) =>
  t.field({
    type: OrganizationType,
    nullable: true,
    description: "An organization's public profile (contacts and members for members only).",
    authScopes: { standard: true },
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, { name }, { db }) => findOrganizationByName(db, name),
  }),
);

builder.objectFields(AdminQuery, (t) => ({
  organizations: t.connection(
    {
      type: OrganizationType,
      description: 'Every organization, oldest first; `query` matches name or label.',
      args: { query: t.arg.string() },
      resolve: (_root, args, { db }) => listOrganizations(db, args),
    },
    { name: 'OrganizationConnection' },
    { name: 'OrganizationEdge' },
  ),
  organization: t.field({
    type: OrganizationType,
    nullable: true,
    args: { name: t.arg.string({ required: true }) },
    resolve: (_root, { name }, { db }) => findOrganizationByName(db, name),
  }),
}));

// --- admin mutations ----------------------------------------------------------------------------

const organizationPayload = {
  outputFields: (t: any) => ({
    organization: t.field({ type: OrganizationType, nullable: true, resolve: (p: { organization?: OrganizationRecord }) => p.organization }),
    userErrors: t.field({ type: [UserErrorType], resolve: (p: { userErrors: unknown[] }) => p.userErrors }),
  }),
};
const membershipPayload = {
  outputFields: (t: any) => ({
    organization: t.field({ type: OrganizationType, nullable: true, resolve: (p: { organization?: OrganizationRecord }) => p.organization }),
    membership: t.field({ type: MembershipType, nullable: true, resolve: (p: { membership?: MembershipRecord }) => p.membership }),
    userErrors: t.field({ type: [UserErrorType], resolve: (p: { userErrors: unknown[] }) => p.userErrors }),
  }),
};
const ADMIN = { admin: true } as const;

builder.relayMutationField(
  'createOrganization',
  {
    inputFields: (t) => ({
      name: t.string({ required: true, description: 'Shares the namespace with usernames; never reissued.' }),
      label: t.string({ required: true }),
      contactName: t.string(),
      email: t.string(),
      url: t.string(),
      type: t.field({ type: OrganizationTypeEnum, description: 'Default BASIC.' }),
      owners: t.stringList({ required: true, description: 'Usernames of its first owners: at least one.' }),
    }),
  },
  {
    description: 'Creates an organization with at least one owner. Admin keys only.',
    authScopes: ADMIN,
    resolve: (_root, { input }, { db, principal }) => withUserErrors(() => createOrganization(db, adminActorOf(principal, 'createOrganization'), input)),
  },
  organizationPayload,
);

builder.relayMutationField(
  'updateOrganization',
  {
    inputFields: (t) => ({
      organization: t.string({ required: true, description: 'Its name (which never changes).' }),
      label: t.string(),
      contactName: t.string(),
      email: t.string(),
      url: t.string(),
      type: t.field({ type: OrganizationTypeEnum }),
    }),
  },
  {
    description: 'Changes only the fields given (null clears contactName, email, url). Admin keys only.',
    authScopes: ADMIN,
    resolve: (_root, { input }, context) =>
      withUserErrors(() => updateOrganization(context.db, adminActorOf(context.principal, 'updateOrganization'), input, context.keyCache)),
  },
  organizationPayload,
);

builder.relayMutationField(
  'deleteOrganization',
  { inputFields: (t) => ({ organization: t.string({ required: true }) }) },
  {
    description:
      'Deletes an organization: revokes its keys, removes members and private algorithms; refused while it has PUBLIC algorithms. Admin keys only.',
    authScopes: ADMIN,
    resolve: (_root, { input }, context) =>
      withUserErrors(() => deleteOrganization(context.db, adminActorOf(context.principal, 'deleteOrganization'), input, context.keyCache)),
  },
  {
    outputFields: (t) => ({
      deletedOrganizationId: t.id({
        nullable: true,
        resolve: (p) => (p.deletedOrganizationId ? encodeGlobalID('Organization', p.deletedOrganizationId) : null),
      }),
      userErrors: t.field({ type: [UserErrorType], resolve: (p) => p.userErrors }),
    }),
  },
);

const memberInput = (t: PothosSchemaTypes.InputFieldBuilder<SchemaTypes, 'InputObject'>) => ({
  organization: t.string({ required: true }),
  username: t.string({ required: true }),
});

builder.relayMutationField(
  'addOrganizationMember',
  { inputFields: (t) => ({ ...memberInput(t), role: t.field({ type: MemberRoleEnum, required: true }) }) },
  {
    description: 'Adds a user to an organization. Admin keys only.',
    authScopes: ADMIN,
    resolve: (_root, { input }, { db, principal }) => withUserErrors(() => addOrganizationMember(db, adminActorOf(principal, 'addOrganizationMember'), input)),
  },
  membershipPayload,
);

builder.relayMutationField(
  'removeOrganizationMember',
  { inputFields: (t) => memberInput(t) },
  {
    description: 'Removes a member; never the last owner. Keys the organization owns stay. Admin keys only.',
    authScopes: ADMIN,
    resolve: (_root, { input }, { db, principal }) => withUserErrors(() => removeOrganizationMember(db, adminActorOf(principal, 'removeOrganizationMember'), input)),
  },
  organizationPayload,
);

builder.relayMutationField(
  'setOrganizationMemberRole',
  { inputFields: (t) => ({ ...memberInput(t), role: t.field({ type: MemberRoleEnum, required: true }) }) },
  {
    description: "Changes a member's role; the last owner cannot become a member. Admin keys only.",
    authScopes: ADMIN,
    resolve: (_root, { input }, { db, principal }) => withUserErrors(() => setOrganizationMemberRole(db, adminActorOf(principal, 'setOrganizationMemberRole'), input)),
  },
  membershipPayload,
);
