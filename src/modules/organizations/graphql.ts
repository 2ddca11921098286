import { builder } from '../../graphql/builder.js';
import { OwnerRef } from '../owners/graphql.js';
import { findOrganizationsByIds, type OrganizationRecord } from './service.js';

export const OrganizationTypeEnum = builder.enumType('OrganizationType', { values: ['BASIC', 'LEGACY', 'PRO'] as const });

export const OrganizationType = builder.loadableNode('Organization', {
  description: 'A group of users that owns algorithms and keys under its own name.',
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
  }),
});
