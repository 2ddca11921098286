import { builder } from '../../graphql/builder.js';
import { AdminQuery } from '../../graphql/planes.js';
import { UserType } from '../users/graphql.js';
import { listAuditEvents, type AuditEventRecord } from './store.js';

builder.scalarType('JSON', {
  description: 'Any JSON value.',
  serialize: (value) => value,
});

const AuditEventType = builder.objectRef<AuditEventRecord>('AuditEvent').implement({
  description: 'One security-relevant change. Summaries are redacted: they never hold a secret.',
  fields: (t) => ({
    id: t.id({ resolve: (event) => String(event.id) }),
    at: t.expose('at', { type: 'DateTime' }),
    action: t.exposeString('action', { description: 'e.g. USER_CREATED, API_KEY_CREATED, API_KEY_UPDATED, API_KEY_ROLLED.' }),
    actorVia: t.exposeString('actorVia', { description: 'api (a request), cli or bootstrap.' }),
    actorKeyId: t.exposeString('actorKeyId', {
      nullable: true,
      description: 'Database id of the key that made the change (it may since have been revoked).',
    }),
    actorUser: t.field({ type: UserType, nullable: true, resolve: (event) => event.actorUserId }),
    targetType: t.exposeString('targetType'),
    targetId: t.exposeString('targetId', { description: 'Database id of the changed object.' }),
    summary: t.field({ type: 'JSON', resolve: (event) => event.summary }),
  }),
});

builder.objectFields(AdminQuery, (t) => ({
  auditEvents: t.connection(
    {
      type: AuditEventType,
      description: 'The audit trail, oldest first: ask for `last: n` to see the newest.',
      args: {
        action: t.arg.string(),
        targetId: t.arg.string({ description: 'Database id of the changed object.' }),
      },
      resolve: (_root, args, { db }) => listAuditEvents(db, args),
    },
    { name: 'AuditEventConnection' },
    { name: 'AuditEventEdge' },
  ),
}));
