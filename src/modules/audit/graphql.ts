import { builder } from '../../graphql/builder.js';
import { AdminQuery } from '../../graphql/planes.js';
import { UserType } from '../users/graphql.js';
import { boundedArgument } from '../../core/validation.js';
import { MAX_ACTION_LENGTH, MAX_TARGET_ID_LENGTH } from './service.js';
import { listAuditEvents, type AuditEventRecord } from './store.js';

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
});

const AuditEventType = builder.objectRef<AuditEventRecord>('AuditEvent').implement({
  description: 'One security-relevant change. Summaries are redacted: they never hold a secret.',
  fields: (t) => ({
    id: t.id({ description: 'The event\'s sequence number, unique among events (not a global id).', resolve: (event) => String(event.id) }),
    at: t.expose('at', { type: 'DateTime', description: 'When the change was made.' }),
    action: t.exposeString('action', { description: 'e.g. USER_CREATED, API_KEY_CREATED, API_KEY_UPDATED, API_KEY_ROLLED.' }),
    actorVia: t.exposeString('actorVia', { description: 'api (a request), cli or bootstrap.' }),
    actorKeyId: t.exposeString('actorKeyId', {
      nullable: true,
      description: 'Database id of the key that made the change (it may since have been revoked).',
    }),
    actorUser: t.field({
      type: UserType,
      nullable: true,
      description: 'The user whose key made the change; null for organization keys, the CLI, bootstrap and deleted users.',
      resolve: (event) => event.actorUserId,
    }),
    targetType: t.exposeString('targetType', { description: 'What kind of object changed: USER, ORGANIZATION, API_KEY or ALGORITHM.' }),
    targetId: t.exposeString('targetId', { description: 'Database id of the changed object.' }),
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
        action: t.arg.string({ description: 'Only events with exactly this action, e.g. API_KEY_CREATED.' }),
        targetId: t.arg.string({ description: 'Database id of the changed object.' }),
      },
      resolve: (_root, args, { db }) =>
        listAuditEvents(db, {
          ...args,
          action: boundedArgument('action', args.action, MAX_ACTION_LENGTH),
          targetId: boundedArgument('targetId', args.targetId, MAX_TARGET_ID_LENGTH),
        }),
    },
    { name: 'AuditEventConnection', description: 'A page of audit events.' },
    { name: 'AuditEventEdge', description: 'An audit event and its cursor.' },
  ),
}));
