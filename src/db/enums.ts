/**
 * Every enum of the database: the one list of each enum's values. GraphQL enums
 * (graphql/enums.ts) and zod schemas read `enumValues` from here, so a value is added in one place.
 */
import { pgEnum } from 'drizzle-orm/pg-core';

export const ownerKind = pgEnum('owner_kind', ['USER', 'ORGANIZATION']);
export const organizationType = pgEnum('organization_type', ['BASIC', 'LEGACY', 'PRO']);
export const memberRole = pgEnum('member_role', ['OWNER', 'MEMBER']);
export const apiKeyKind = pgEnum('api_key_kind', ['STANDARD', 'ADMIN']);
export const dataAccess = pgEnum('data_access', ['NONE', 'READ', 'READ_WRITE']);
export const license = pgEnum('license', ['APL', 'APACHE2', 'GPL3', 'MIT']);
export const networkAccess = pgEnum('network_access', ['ISOLATED', 'FULL']);
export const sourceVisibility = pgEnum('source_visibility', ['OPEN', 'CLOSED']);
export const environment = pgEnum('environment', ['CPU', 'GPU']);
export const language = pgEnum('language', [
  'JAVA',
  'JAVASCRIPT',
  'PYTHON2',
  'PYTHON3',
  'R',
  'RUBY',
  'RUST',
  'SCALA',
]);
export const callability = pgEnum('callability', ['PUBLIC', 'PRIVATE']);
export const versionType = pgEnum('version_type', ['MAJOR', 'MINOR', 'REVISION']);

/** Each enum's values as a type. */
export type OwnerKind = (typeof ownerKind.enumValues)[number];
export type OrganizationType = (typeof organizationType.enumValues)[number];
export type MemberRole = (typeof memberRole.enumValues)[number];
export type ApiKeyKind = (typeof apiKeyKind.enumValues)[number];
export type DataAccess = (typeof dataAccess.enumValues)[number];

