import { builder } from '../../graphql/builder.js';
import { withUserErrors } from '../../graphql/errors.js';
import { AdminQuery } from '../../graphql/planes.js';
import { UserErrorType } from '../../graphql/user-error.js';
import { actorOf } from '../../auth/principal.js';
import { ApiKeyType, loadDefaultKey } from '../api-keys/graphql.js';
import { OwnerRef } from '../owners/graphql.js';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { loadMemberships, MembershipType } from '../organizations/graphql.js';
import {
  createUser,
  deleteUser,
  findUserByUsername,
  findUsersByIds,
  listUsers,
  seesPrivateFields,
  updateUser,
  type UserRecord,
} from './service.js';

export const UserType = builder.loadableNode('User', {
  description: 'A person with an account. Emails are shown only to the user and to admins.',
  interfaces: [OwnerRef],
  id: { resolve: (user: UserRecord) => user.id },
  load: (ids: string[], context) => findUsersByIds(context.db, ids),
  sort: (user) => user.id,
  isTypeOf: (value) => (value as { kind?: string }).kind === 'USER',
  fields: (t) => ({
    username: t.exposeString('username'),
    email: t.string({
      nullable: true,
      resolve: (user, _args, { principal }) => (seesPrivateFields(principal, user.id) ? user.email : null),
    }),
    fullName: t.exposeString('fullName', { nullable: true }),
    companyName: t.exposeString('companyName', { nullable: true }),
    companyRole: t.exposeString('companyRole', { nullable: true }),
    isAdmin: t.exposeBoolean('isAdmin', { description: 'A cluster administrator (may hold admin keys).' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    organizations: t.field({
      type: [MembershipType],
      nullable: true,
      description: 'The organizations the user belongs to, with roles. Shown to the user and to admins only.',
      resolve: (user, _args, context) => (seesPrivateFields(context.principal, user.id) ? loadMemberships(context, user.id) : null),
    }),
    defaultKey: t.field({
      type: ApiKeyType,
      nullable: true,
      description: 'The key named `default-key`, if the user has one. Its mask, never its secret.',
      resolve: (user, _args, context) => loadDefaultKey(context, user.id),
    }),
  }),
});

builder.objectFields(AdminQuery, (t) => ({
  users: t.connection(
    {
      type: UserType,
      description: 'Every user, oldest first; `query` matches username, email or full name. Pages of at most 100.',
      args: { query: t.arg.string() },
      resolve: (_root, args, { db }) => listUsers(db, args),
    },
    { name: 'UserConnection' },
    { name: 'UserEdge' },
  ),
  user: t.field({
    type: UserType,
    nullable: true,
    args: { username: t.arg.string({ required: true }) },
    resolve: (_root, { username }, { db }) => findUserByUsername(db, username),
  }),
}));

builder.relayMutationField(
  'createUser',
  {
    description: 'Fields of a new user. The username can never change and is never reissued.',
    inputFields: (t) => ({
      username: t.string({ required: true, description: 'Letters, digits and underscores, starting with a letter; at most 30.' }),
      email: t.string({ required: true }),
      fullName: t.string(),
      companyName: t.string(),
      companyRole: t.string(),
      isAdmin: t.boolean({ description: 'Make the user a cluster administrator. Default false.' }),
    }),
  },
  {
    description: 'Creates a user and its `default-key`, whose secret the payload carries once. Admin keys only.',
    authScopes: { admin: true },
    resolve: (_root, { input }, { db, principal }) => withUserErrors(() => createUser(db, actorOf(principal), input)),
  },
  {
    outputFields: (t) => ({
      user: t.field({ type: UserType, nullable: true, resolve: (payload) => payload.user }),
      defaultKey: t.field({ type: ApiKeyType, nullable: true, resolve: (payload) => payload.defaultKey }),
      secret: t.string({
        nullable: true,
        description: 'The default-key\'s secret. Shown only here: store it now.',
        resolve: (payload) => payload.secret,
      }),
      userErrors: t.field({ type: [UserErrorType], resolve: (payload) => payload.userErrors }),
    }),
  },
);

builder.objectFields(MembershipType, (t) => ({
  user: t.field({ type: UserType, resolve: (membership) => membership.userId }),
}));

builder.queryField('user', (t) =>
  t.field({
    type: UserType,
    nullable: true,
    description: "A user's public profile (email only to the user).",
    authScopes: { standard: true },
    args: { username: t.arg.string({ required: true }) },
    resolve: (_root, { username }, { db }) => findUserByUsername(db, username),
  }),
);

builder.relayMutationField(
  'updateUser',
  {
    inputFields: (t) => ({
      username: t.string({ required: true, description: 'Who (the username itself never changes).' }),
      email: t.string(),
      fullName: t.string(),
      companyName: t.string(),
      companyRole: t.string(),
      isAdmin: t.boolean({ description: 'Demoting retires the user\'s admin keys; the last administrator stays one.' }),
    }),
  },
  {
    description: 'Changes only the fields given (null clears the free-text ones). Admin keys only.',
    authScopes: { admin: true },
    resolve: async (_root, { input }, context) => {
      const result = await withUserErrors(() => updateUser(context.db, actorOf(context.principal), input));
      if (result.user) context.forgetOwner(result.user.id);
      return result;
    },
  },
  {
    outputFields: (t) => ({
      user: t.field({ type: UserType, nullable: true, resolve: (p) => p.user }),
      userErrors: t.field({ type: [UserErrorType], resolve: (p) => p.userErrors }),
    }),
  },
);

builder.relayMutationField(
  'deleteUser',
  { inputFields: (t) => ({ username: t.string({ required: true }) }) },
  {
    description:
      'Deletes a user: revokes its keys at once, removes memberships and private algorithms; the name and email are never reissued. Refused while it owns PUBLIC algorithms or is the last owner of an organization. Admin keys only.',
    authScopes: { admin: true },
    resolve: async (_root, { input }, context) => {
      const result = await withUserErrors(() => deleteUser(context.db, actorOf(context.principal), input));
      if (result.deletedUserId) context.forgetOwner(result.deletedUserId);
      return result;
    },
  },
  {
    outputFields: (t) => ({
      deletedUserId: t.id({ nullable: true, resolve: (p) => (p.deletedUserId ? encodeGlobalID('User', p.deletedUserId) : null) }),
      userErrors: t.field({ type: [UserErrorType], resolve: (p) => p.userErrors }),
    }),
  },
);
