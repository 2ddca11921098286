import { encodeGlobalID } from '@pothos/plugin-relay';
import { adminActorOf } from '../../auth/permissions.js';
import { batched } from '../../graphql/batch.js';
import { builder, type SchemaTypes } from '../../graphql/builder.js';
import { reads } from '../../graphql/lookahead.js';
import type { GraphQLContext } from '../../graphql/context.js';
import { withUserErrors } from '../../graphql/errors.js';
import { AdminQuery } from '../../graphql/planes.js';
import { USER_ERRORS_DESCRIPTION, UserErrorType } from '../../graphql/user-error.js';
import { enumFromDatabase } from '../../graphql/enums.js';
import type { UserErrorData } from '../../core/errors.js';
import type { Page, PageArgs } from '../../core/pagination.js';
import { memberRole, organizationType } from '../../db/enums.js';
import { OwnerRef } from '../owners/graphql.js';
import {
  addOrganizationMember,
  createOrganization,
  deleteOrganization,
  removeOrganizationMember,
  seesInside,
  setOrganizationMemberRole,
  updateOrganization,
} from './service.js';
import { MAX_NAME_LENGTH } from '../../core/names.js';
import { boundedArgument, MAX_SEARCH_LENGTH } from '../../core/validation.js';
import { findOrganizationByName, findOrganizationsByIds, listOrganizations, memberPages, membershipsOf } from './store.js';
import type { MembershipRecord, OrganizationRecord } from '../../db/records.js';

export const OrganizationTypeEnum = enumFromDatabase('OrganizationType', organizationType, {
  description: "Algorithmia's organization types. Stored and shown; nothing in algoplane depends on the type.",
  values: {
    BASIC: 'The default type.',
    LEGACY: "Algorithmia's legacy type.",
    PRO: "Algorithmia's pro type.",
  },
});
export const MemberRoleEnum = enumFromDatabase('MemberRole', memberRole, {
  description: "A member's role in an organization. An organization always has at least one OWNER.",
  values: {
    OWNER: 'Manages members and keys, publishes PUBLIC, deletes algorithms.',
    MEMBER: "Creates, updates and publishes (PRIVATE) the organization's algorithms.",
  },
});

/** A user's memberships, batched with every other user's of the request (the caller's own included). */
export function loadMemberships(context: GraphQLContext, userId: string): Promise<MembershipRecord[]> {
  return batched<string, MembershipRecord[]>(context, 'memberships', async (ids) => {
    const found = await membershipsOf(context.db, ids);
    return ids.map((id) => found.filter((m) => m.userId === id));
  }).load(userId);
}

/** The caller's memberships, loaded once per request. */
function viewerMemberships(context: GraphQLContext): Promise<MembershipRecord[]> {
  const userId = context.principal.userId;
  return userId === null ? Promise.resolve([]) : loadMemberships(context, userId);
}

/** A page of an organization's members, batched with every other organization's page asked with the same arguments. */
function loadMembers(context: GraphQLContext, organizationId: string, args: PageArgs) {
  const { first, after, last, before } = args;
  return batched<string, Page<MembershipRecord>>(context, `members:${JSON.stringify([first, after, last, before])}`, async (ids) => {
    const pages = await memberPages(context.db, ids, args);
    return ids.map((id) => pages.get(id)!);
  }).load(organizationId);
}

const insideVisible = (context: GraphQLContext, organization: OrganizationRecord) =>
  seesInside(context.principal, organization.id, () => viewerMemberships(context));

export const MembershipType = builder.objectRef<MembershipRecord>('OrganizationMembership');

export const OrganizationType = builder.loadableNode('Organization', {
  description: 'A group of users that owns algorithms and keys under its own name. Contacts and members are shown to its members\' keys with manageAccount.',
  interfaces: [OwnerRef],
  id: { resolve: (organization: OrganizationRecord) => organization.id },
  load: (ids: string[], context) => findOrganizationsByIds(context.db, ids),
  sort: (organization) => organization.id,
  isTypeOf: (value) => (value as { kind?: string }).kind === 'ORGANIZATION',
  fields: (t) => ({
    label: t.exposeString('label', { description: 'Display name, 1 to 100 characters.' }),
    url: t.exposeString('url', { nullable: true, description: 'Its web site: an http:// or https:// URL.' }),
    type: t.expose('type', { type: OrganizationTypeEnum, description: "Algorithmia's organization type." }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the organization was created.' }),
    contactName: t.string({
      nullable: true,
      description: "Who to contact. Shown to admins, and to its members' and its own keys with manageAccount; null for others.",
      resolve: async (o, _args, context) => ((await insideVisible(context, o)) ? o.contactName : null),
    }),
    email: t.string({
      nullable: true,
      description: "Contact email. Shown to admins, and to its members' and its own keys with manageAccount; null for others.",
      resolve: async (o, _args, context) => ((await insideVisible(context, o)) ? o.email : null),
    }),
    members: t.connection(
      {
        type: MembershipType,
        nullable: true,
        description: "Its members, oldest membership first. Null unless your key is an admin's, or has manageAccount and is a member's or the organization's own.",
        extensions: reads('summary'),
        resolve: async (o, args, context) => ((await insideVisible(context, o)) ? loadMembers(context, o.id, args) : null),
      },
      { name: 'OrganizationMemberConnection', description: "A page of an organization's members." },
      { name: 'OrganizationMemberEdge', description: 'A membership and its cursor.' },
    ),
  }),
});

// `user` is added by the users module, which owns the User type.
MembershipType.implement({
  description: "A user's membership of an organization.",
  fields: (t) => ({
    organization: t.field({ type: OrganizationType, description: 'The organization.', resolve: (m) => m.organizationId }),
    role: t.expose('role', { type: MemberRoleEnum, description: "The user's role in it." }),
    since: t.expose('createdAt', { type: 'DateTime', description: 'When the user joined.' }),
  }),
});

builder.queryField('organization', (t) =>
  t.field({
    type: OrganizationType,
    nullable: true,
    description: "An organization's public profile (contacts and members for its members' keys with manageAccount only).",
    authScopes: { standard: true },
    args: { name: t.arg.string({ required: true, description: 'Matched case-insensitively.' }) },
    resolve: (_root, { name }, { db }) => findOrganizationByName(db, boundedArgument('name', name, MAX_NAME_LENGTH)),
  }),
);

builder.objectFields(AdminQuery, (t) => ({
  organizations: t.connection(
    {
      type: OrganizationType,
      description: 'Every organization, oldest first; `query` matches name or label.',
      args: { query: t.arg.string({ description: 'Text to look for, case-insensitively, anywhere in the name or label.' }) },
      resolve: (_root, args, { db }) => listOrganizations(db, { ...args, query: boundedArgument('query', args.query, MAX_SEARCH_LENGTH) }),
    },
    { name: 'OrganizationConnection', description: 'A page of organizations.' },
    { name: 'OrganizationEdge', description: 'An organization and its cursor.' },
  ),
  organization: t.field({
    type: OrganizationType,
    nullable: true,
    description: 'Any organization by name, contacts and members included; null if there is none.',
    args: { name: t.arg.string({ required: true, description: 'Matched case-insensitively.' }) },
    resolve: (_root, { name }, { db }) => findOrganizationByName(db, boundedArgument('name', name, MAX_NAME_LENGTH)),
  }),
}));

// --- admin mutations ----------------------------------------------------------------------------

type Payload<T> = Partial<T> & { userErrors: UserErrorData[] };
type PayloadFields<T> = PothosSchemaTypes.ObjectFieldBuilder<SchemaTypes, Payload<T>>;

const organizationPayload = {
  description: 'The organization as created or changed, or why nothing was.',
  outputFields: (t: PayloadFields<{ organization: OrganizationRecord }>) => ({
    organization: t.field({ type: OrganizationType, nullable: true, description: 'The organization, as created or changed.', resolve: (p) => p.organization }),
    userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
  }),
};
const membershipPayload = {
  description: 'The membership after the change, or why nothing changed.',
  outputFields: (t: PayloadFields<{ organization: OrganizationRecord; membership: MembershipRecord }>) => ({
    organization: t.field({ type: OrganizationType, nullable: true, description: 'The organization, after the change.', resolve: (p) => p.organization }),
    membership: t.field({ type: MembershipType, nullable: true, description: 'The membership, after the change.', resolve: (p) => p.membership }),
    userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
  }),
};
const ADMIN = { admin: true } as const;
const TEXT_200 = 'Free text, at most 200 characters.';

builder.relayMutationField(
  'createOrganization',
  {
    description: 'A new organization and its first owners.',
    inputFields: (t) => ({
      name: t.string({ required: true, description: 'Shares the namespace with usernames; never reissued.' }),
      label: t.string({ required: true, description: 'Display name, 1 to 100 characters.' }),
      contactName: t.string({ description: TEXT_200 }),
      email: t.string({ description: 'Contact email, at most 254 characters.' }),
      url: t.string({ description: 'An http:// or https:// URL, at most 2000 characters.' }),
      type: t.field({ type: OrganizationTypeEnum, description: 'Default BASIC.' }),
      owners: t.stringList({ required: true, description: 'Usernames of its first owners: at least one.' }),
    }),
  },
  {
    description: 'Creates an organization with at least one owner. Admin keys only.',
    authScopes: ADMIN,
    resolve: (_root, { input }, { db, principal, keyCache }) => withUserErrors(() => createOrganization(db, adminActorOf(principal, 'createOrganization'), input, keyCache)),
  },
  organizationPayload,
);

builder.relayMutationField(
  'updateOrganization',
  {
    description: "An organization's changes. Absent fields keep their value.",
    inputFields: (t) => ({
      organization: t.string({ required: true, description: 'Its name (which never changes).' }),
      label: t.string({ description: 'Display name, 1 to 100 characters. Null keeps the current one.' }),
      contactName: t.string({ description: 'At most 200 characters; null or blank clears it.' }),
      email: t.string({ description: 'Contact email, at most 254 characters; null clears it.' }),
      url: t.string({ description: 'An http:// or https:// URL, at most 2000 characters; null clears it.' }),
      type: t.field({ type: OrganizationTypeEnum, description: 'Null keeps the current one.' }),
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
  {
    description: 'Which organization to delete.',
    inputFields: (t) => ({ organization: t.string({ required: true, description: 'The name of the organization to delete.' }) }),
  },
  {
    description:
      'Deletes an organization: revokes its keys, removes members and private algorithms; refused while it has PUBLIC algorithms. Admin keys only.',
    authScopes: ADMIN,
    resolve: (_root, { input }, context) =>
      withUserErrors(() => deleteOrganization(context.db, adminActorOf(context.principal, 'deleteOrganization'), input, context.keyCache)),
  },
  {
    description: "The deleted organization's id, or why it was not deleted.",
    outputFields: (t) => ({
      deletedOrganizationId: t.id({
        nullable: true,
        description: 'The global id the organization had.',
        resolve: (p) => (p.deletedOrganizationId ? encodeGlobalID('Organization', p.deletedOrganizationId) : null),
      }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
    }),
  },
);

const memberInput = (t: PothosSchemaTypes.InputFieldBuilder<SchemaTypes, 'InputObject'>) => ({
  organization: t.string({ required: true, description: "The organization's name." }),
  username: t.string({ required: true, description: "The member's username." }),
});

builder.relayMutationField(
  'addOrganizationMember',
  {
    description: 'Who joins which organization, in which role.',
    inputFields: (t) => ({ ...memberInput(t), role: t.field({ type: MemberRoleEnum, required: true, description: 'Their role.' }) }),
  },
  {
    description: 'Adds a user to an organization. Admin keys only.',
    authScopes: ADMIN,
    resolve: (_root, { input }, { db, principal, keyCache }) => withUserErrors(() => addOrganizationMember(db, adminActorOf(principal, 'addOrganizationMember'), input, keyCache)),
  },
  membershipPayload,
);

builder.relayMutationField(
  'removeOrganizationMember',
  { description: 'Who leaves which organization.', inputFields: (t) => memberInput(t) },
  {
    description: 'Removes a member; never the last owner. Keys the organization owns stay. Admin keys only.',
    authScopes: ADMIN,
    resolve: (_root, { input }, { db, principal, keyCache }) => withUserErrors(() => removeOrganizationMember(db, adminActorOf(principal, 'removeOrganizationMember'), input, keyCache)),
  },
  organizationPayload,
);

builder.relayMutationField(
  'setOrganizationMemberRole',
  {
    description: "Whose role changes in which organization, and to what.",
    inputFields: (t) => ({ ...memberInput(t), role: t.field({ type: MemberRoleEnum, required: true, description: 'The new role.' }) }),
  },
  {
    description: "Changes a member's role; the last owner cannot become a member. Admin keys only.",
    authScopes: ADMIN,
    resolve: (_root, { input }, { db, principal }) => withUserErrors(() => setOrganizationMemberRole(db, adminActorOf(principal, 'setOrganizationMemberRole'), input)),
  },
  membershipPayload,
);
