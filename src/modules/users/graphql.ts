import { builder } from '../../graphql/builder.js';
import { reads } from '../../graphql/lookahead.js';
import { withUserErrors } from '../../graphql/errors.js';
import { AdminQuery } from '../../graphql/planes.js';
import { USER_ERRORS_DESCRIPTION, UserErrorType } from '../../graphql/user-error.js';
import { adminActorOf } from '../../auth/permissions.js';
import type { UserRecord } from '../../db/records.js';
import { ApiKeyType, loadDefaultKey } from '../api-keys/graphql.js';
import { OwnerRef } from '../owners/graphql.js';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { loadMemberships, MembershipType } from '../organizations/graphql.js';
import { createUser, deleteUser, seesPrivateFields, updateUser } from './service.js';
import { MAX_NAME_LENGTH } from '../../core/names.js';
import { boundedArgument, MAX_SEARCH_LENGTH } from '../../core/validation.js';
import { findUserByUsername, findUsersByIds, listUsers } from './store.js';

export const UserType = builder.loadableNode('User', {
  description: "A person with an account. Email, administrator standing and organizations are shown only to the user's keys with manageAccount and to admin keys.",
  interfaces: [OwnerRef],
  id: { resolve: (user: UserRecord) => user.id },
  load: (ids: string[], context) => findUsersByIds(context.db, ids),
  sort: (user) => user.id,
  isTypeOf: (value) => (value as { kind?: string }).kind === 'USER',
  fields: (t) => ({
    username: t.exposeString('username', { description: 'The user\'s name, as in algo://<username>/…; never changes.', extensions: reads('summary') }),
    email: t.string({
      nullable: true,
      description: 'Shown to the user\'s own keys with manageAccount and to admin keys; null for everyone else.',
      resolve: (user, _args, { principal }) => (seesPrivateFields(principal, user.id) ? user.email : null),
    }),
    fullName: t.exposeString('fullName', { nullable: true, description: 'Free text, at most 200 characters.' }),
    companyName: t.exposeString('companyName', { nullable: true, description: 'Free text, at most 100 characters.' }),
    companyRole: t.exposeString('companyRole', { nullable: true, description: 'Free text, at most 200 characters.' }),
    isAdmin: t.boolean({
      nullable: true,
      description: "A cluster administrator (may hold admin keys). Shown to the user's own keys with manageAccount and to admin keys; null for everyone else, so that no one maps out who to attack.",
      resolve: (user, _args, { principal }) => (seesPrivateFields(principal, user.id) ? user.isAdmin : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime', description: 'When the account was created.' }),
    organizations: t.field({
      type: [MembershipType],
      nullable: true,
      description: 'The organizations the user belongs to, with roles. Shown to the user\'s own keys with manageAccount and to admins only.',
      extensions: reads('summary'),
      resolve: (user, _args, context) => (seesPrivateFields(context.principal, user.id) ? loadMemberships(context, user.id) : null),
    }),
    defaultKey: t.field({
      type: ApiKeyType,
      nullable: true,
      description: 'The key named `default-key`, if the user has one. Its mask, never its secret.',
      extensions: reads('summary'),
      resolve: (user, _args, context) => loadDefaultKey(context, user.id),
    }),
  }),
});

builder.objectFields(AdminQuery, (t) => ({
  users: t.connection(
    {
      type: UserType,
      description: 'Every user, oldest first; `query` matches username, email or full name. Pages of at most 100.',
      args: { query: t.arg.string({ description: 'Text to look for, case-insensitively, anywhere in the username, email or full name.' }) },
      resolve: (_root, args, { db }) => listUsers(db, { ...args, query: boundedArgument('query', args.query, MAX_SEARCH_LENGTH) }),
    },
    { name: 'UserConnection', description: 'A page of users.' },
    { name: 'UserEdge', description: 'A user and its cursor.' },
  ),
  user: t.field({
    type: UserType,
    nullable: true,
    description: 'Any user by username, with email and organizations; null if there is none.',
    args: { username: t.arg.string({ required: true, description: 'Matched case-insensitively.' }) },
    resolve: (_root, { username }, { db }) => findUserByUsername(db, boundedArgument('username', username, MAX_NAME_LENGTH)),
  }),
}));

builder.relayMutationField(
  'createUser',
  {
    description: 'Fields of a new user. The username can never change and is never reissued.',
    inputFields: (t) => ({
      username: t.string({ required: true, description: 'Letters, digits and underscores, starting with a letter; at most 30.' }),
      email: t.string({ required: true, description: 'At most 254 characters; unique among users (case-insensitively) and never reissued.' }),
      fullName: t.string({ description: 'Free text, at most 200 characters.' }),
      companyName: t.string({ description: 'Free text, at most 100 characters.' }),
      companyRole: t.string({ description: 'Free text, at most 200 characters.' }),
      isAdmin: t.boolean({ description: 'Make the user a cluster administrator. Default false.' }),
    }),
  },
  {
    description: 'Creates a user and its `default-key`, whose secret the payload carries once. Admin keys only.',
    authScopes: { admin: true },
    resolve: (_root, { input }, { db, principal }) => withUserErrors(() => createUser(db, adminActorOf(principal, 'createUser'), input)),
  },
  {
    description: 'The new user and its default-key, or why it was not created.',
    outputFields: (t) => ({
      user: t.field({ type: UserType, nullable: true, description: 'The new user.', resolve: (payload) => payload.user }),
      defaultKey: t.field({
        type: ApiKeyType,
        nullable: true,
        description: 'Its `default-key`: algo://*, manageAlgorithms, manageAccount, dataAccess READ_WRITE, native and browser calls.',
        resolve: (payload) => payload.defaultKey,
      }),
      secret: t.string({
        nullable: true,
        description: 'The default-key\'s secret. Shown only here: store it now.',
        resolve: (payload) => payload.secret,
      }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (payload) => payload.userErrors }),
    }),
  },
);

builder.objectFields(MembershipType, (t) => ({
  user: t.field({ type: UserType, description: 'The member.', resolve: (membership) => membership.userId }),
}));

builder.queryField('user', (t) =>
  t.field({
    type: UserType,
    nullable: true,
    description: "A user's public profile (email only to the user's keys with manageAccount).",
    authScopes: { standard: true },
    args: { username: t.arg.string({ required: true, description: 'Matched case-insensitively.' }) },
    resolve: (_root, { username }, { db }) => findUserByUsername(db, boundedArgument('username', username, MAX_NAME_LENGTH)),
  }),
);

builder.relayMutationField(
  'updateUser',
  {
    description: 'A user\'s changes. Absent fields keep their value.',
    inputFields: (t) => ({
      username: t.string({ required: true, description: 'Who (the username itself never changes).' }),
      email: t.string({ description: 'New email: unique among users, case-insensitively. Null keeps the current one.' }),
      fullName: t.string({ description: 'At most 200 characters; null or blank clears it.' }),
      companyName: t.string({ description: 'At most 100 characters; null or blank clears it.' }),
      companyRole: t.string({ description: 'At most 200 characters; null or blank clears it.' }),
      isAdmin: t.boolean({
        description: "Demoting deletes the user's admin keys (promoting again never brings them back); the last administrator stays one.",
      }),
    }),
  },
  {
    description: 'Changes only the fields given (null clears the free-text ones). Admin keys only.',
    authScopes: { admin: true },
    resolve: (_root, { input }, context) => withUserErrors(() => updateUser(context.db, adminActorOf(context.principal, 'updateUser'), input, context.keyCache)),
  },
  {
    description: 'The user as changed, or why nothing was.',
    outputFields: (t) => ({
      user: t.field({ type: UserType, nullable: true, description: 'The user, after the change.', resolve: (p) => p.user }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
    }),
  },
);

builder.relayMutationField(
  'deleteUser',
  {
    description: 'Which user to delete.',
    inputFields: (t) => ({ username: t.string({ required: true, description: 'The user to delete.' }) }),
  },
  {
    description:
      'Deletes a user: revokes its keys at once, removes memberships and private algorithms; the name and email are never reissued. Refused while it owns PUBLIC algorithms or is the last owner of an organization. Admin keys only.',
    authScopes: { admin: true },
    resolve: (_root, { input }, context) => withUserErrors(() => deleteUser(context.db, adminActorOf(context.principal, 'deleteUser'), input, context.keyCache)),
  },
  {
    description: 'The deleted user\'s id, or why it was not deleted.',
    outputFields: (t) => ({
      deletedUserId: t.id({
        nullable: true,
        description: 'The global id the user had.',
        resolve: (p) => (p.deletedUserId ? encodeGlobalID('User', p.deletedUserId) : null),
      }),
      userErrors: t.field({ type: [UserErrorType], description: USER_ERRORS_DESCRIPTION, resolve: (p) => p.userErrors }),
    }),
  },
);
