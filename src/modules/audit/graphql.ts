import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { builder } from '../../graphql/builder.js';
import { describedEnum } from '../../graphql/enums.js';
import { AdminQuery } from '../../graphql/planes.js';
import { ApiKeyType } from '../api-keys/graphql.js';
import { UserType } from '../users/graphql.js';
import { boundedArgument } from '../../core/validation.js';
import { userError } from '../../core/errors.js';
import { AUDIT_ACTIONS, AUDIT_TARGET_TYPES, auditEventsByIds, type AuditTargetType } from './service.js';
import { listAuditEvents, type AuditEventRecord } from './store.js';

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
});

/** The GraphQL type of each kind of target, whose global ids the trail's target ids are. */
const TARGET_TYPENAMES: Record<AuditTargetType, string> = { USER: 'User', ORGANIZATION: 'Organization', API_KEY: 'ApiKey', ALGORITHM: 'Algorithm' };

/** A global id of a target (68 characters for an organization's), with room to spare. */
const MAX_TARGET_ID_LENGTH = 100;

const AuditActionEnum = describedEnum('AuditAction', AUDIT_ACTIONS, {
  description: 'What a recorded change was.',
  values: {
    USER_CREATED: 'A user was created (with its default-key).',
    USER_UPDATED: "A user's profile changed.",
    USER_DELETED: 'A user was deleted; its name stays taken.',
    ORGANIZATION_CREATED: 'An organization was created with its owners.',
    ORGANIZATION_UPDATED: "An organization's profile changed.",
    ORGANIZATION_DELETED: 'An organization was deleted; its name stays taken.',
    ORGANIZATION_MEMBER_ADDED: 'A member joined an organization.',
    ORGANIZATION_MEMBER_REMOVED: 'A member left an organization.',
    ORGANIZATION_MEMBER_ROLE_CHANGED: "A member's role (OWNER or MEMBER) changed.",
    API_KEY_CREATED: 'A key was created.',
    API_KEY_UPDATED: "A key's settings changed.",
    API_KEY_ROLLED: 'A key got a new secret.',
    API_KEY_REVOKED: 'A key was revoked.',
    API_KEY_RATE_LIMIT_SET: "An admin set or cleared a key's own budget.",
    ALGORITHM_CREATED: 'An algorithm was created.',
    ALGORITHM_UPDATED: "An algorithm's details or settings changed.",
    ALGORITHM_PUBLISHED: 'An algorithm published a version.',
    ALGORITHM_DELETED: 'An algorithm was deleted.',
  },
});

const AuditTargetTypeEnum = describedEnum('AuditTargetType', AUDIT_TARGET_TYPES, {
  description: 'What kind of object a recorded change was made to.',
  values: { USER: 'A user.', ORGANIZATION: 'An organization (member changes too).', API_KEY: 'An API key.', ALGORITHM: 'An algorithm.' },
});

const targetGlobalId = (event: AuditEventRecord) => encodeGlobalID(TARGET_TYPENAMES[event.targetType as AuditTargetType], event.targetId);

/** The target a `targetId` argument names: the global id of a user, organization, key or algorithm. */
function targetOf(globalId: string): { type: AuditTargetType; id: string } {
  boundedArgument('targetId', globalId, MAX_TARGET_ID_LENGTH);
  let decoded: { typename: string; id: string } | undefined;
  try {
    decoded = decodeGlobalID(globalId);
  } catch {
    // not a global id: said below
  }
  const type = AUDIT_TARGET_TYPES.find((candidate) => TARGET_TYPENAMES[candidate] === decoded?.typename);
  if (!type || !decoded?.id) {
    throw userError('INVALID', 'targetId: must be the global id of a user, organization, API key or algorithm, as read from an `id` field', ['targetId']);
  }
  return { type, id: decoded.id };
}

const AuditEventType = builder.loadableNode('AuditEvent', {
  description: 'One security-relevant change. Summaries are redacted: they never hold a secret. Admin keys only, `admin.node(id:)` included.',
  id: { resolve: (event: AuditEventRecord) => String(event.id) },
  // Only admin keys read the trail: to others no event exists.
  load: (ids: string[], context) => auditEventsByIds(context.db, context.principal, ids),
  sort: (event) => String(event.id),
  fields: (t) => ({
    at: t.expose('at', { type: 'DateTime', description: 'When the change was made.' }),
    action: t.field({ type: AuditActionEnum, description: 'What the change was.', resolve: (event) => event.action as (typeof AUDIT_ACTIONS)[number] }),
    actorVia: t.exposeString('actorVia', { description: 'api (a request), cli or bootstrap.' }),
    actorKeyId: t.id({
      nullable: true,
      description: 'Global id of the key that made the change, kept after the key is revoked; null for the CLI and bootstrap.',
      resolve: (event) => (event.actorKeyId ? encodeGlobalID('ApiKey', event.actorKeyId) : null),
    }),
    actorKey: t.field({
      type: ApiKeyType,
      nullable: true,
      description: 'The key that made the change, while it exists.',
      resolve: (event) => event.actorKeyId,
    }),
    actorUserId: t.id({
      nullable: true,
      description: 'Global id of the user whose key made the change, kept after the user is deleted; null for organization keys, the CLI and bootstrap.',
      resolve: (event) => (event.actorUserId ? encodeGlobalID('User', event.actorUserId) : null),
    }),
    actorUser: t.field({
      type: UserType,
      nullable: true,
      description: 'The user whose key made the change; null for organization keys, the CLI, bootstrap and deleted users.',
      resolve: (event) => event.actorUserId,
    }),
    targetType: t.field({
      type: AuditTargetTypeEnum,
      description: 'What kind of object changed.',
      resolve: (event) => event.targetType as AuditTargetType,
    }),
    targetId: t.id({
      description: 'Global id of the changed object, kept after it is deleted: what `node(id:)` and the `targetId` filter take.',
      resolve: targetGlobalId,
    }),
    target: t.node({
      description: 'The changed object, while it exists.',
      id: targetGlobalId,
    }),
    summary: t.field({
      type: 'JSON',
      description: 'Details of the change, by action; updates list `changes` as `{ field: { from, to } }`. Never holds a secret.',
      resolve: (event) => event.summary,
    }),
  }),
});

builder.objectFields(AdminQuery, (t) => ({
  auditEvents: t.connection(
    {
      type: AuditEventType,
      description: 'The audit trail, oldest first: ask for `last: n` to see the newest.',
      args: {
        action: t.arg({ type: AuditActionEnum, description: 'Only events with this action.' }),
        targetId: t.arg.id({ description: "Only changes to this object: its global id, as read from its `id` (or an event's `targetId`)." }),
      },
      resolve: (_root, args, { db }) =>
        listAuditEvents(db, { ...args, target: args.targetId === null || args.targetId === undefined ? null : targetOf(String(args.targetId)) }),
    },
    { name: 'AuditEventConnection', description: 'A page of audit events.' },
    { name: 'AuditEventEdge', description: 'An audit event and its cursor.' },
  ),
}));
