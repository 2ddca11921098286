/**
 * The auth matrix (docs/ARCHITECTURE.md, "Where to add …"): every root field, each with the plane it belongs to and the
 * permission it needs, is called with every kind of key. Adding a root field without an entry here
 * fails the completeness test.
 */
import { generateApiKey } from '../../src/auth/api-key.js';

export interface RootField {
  /** `Type.field` as in the schema: Query.viewer, AdminQuery.users, Mutation.createUser. */
  field: string;
  plane: 'standard' | 'admin';
  permission?: 'manageAccount' | 'manageAlgorithms';
  /** An operation that reaches the field; for mutations, one that changes nothing when allowed. */
  document: string;
  variables?: Record<string, unknown>;
}

export const ROOT_FIELDS: RootField[] = [
  { field: 'Query.viewer', plane: 'standard', document: '{ viewer { key { name } } }' },
  { field: 'Query.rateLimit', plane: 'standard', document: '{ rateLimit { limit remaining resetAt cost } }' },
  {
    field: 'Query.node',
    plane: 'standard',
    document: 'query($id: ID!) { node(id: $id) { id } }',
    variables: { id: 'VXNlcjowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA=' },
  },
  {
    field: 'Query.nodes',
    plane: 'standard',
    document: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
    variables: { ids: [] },
  },
  { field: 'Query.admin', plane: 'admin', document: '{ admin { __typename } }' },
  {
    field: 'AdminQuery.node',
    plane: 'admin',
    document: 'query($id: ID!) { admin { node(id: $id) { id } } }',
    variables: { id: 'VXNlcjowMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDA=' },
  },
  { field: 'AdminQuery.users', plane: 'admin', document: '{ admin { users(first: 1) { totalCount } } }' },
  { field: 'AdminQuery.user', plane: 'admin', document: '{ admin { user(username: "nobody") { id } } }' },
  {
    field: 'Query.apiKeys',
    plane: 'standard',
    permission: 'manageAccount',
    document: '{ apiKeys(first: 1) { totalCount } }',
  },
  {
    field: 'Mutation.createApiKey',
    plane: 'standard',
    permission: 'manageAccount',
    document: 'mutation { createApiKey(input: { name: "" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.updateApiKey',
    plane: 'standard',
    permission: 'manageAccount',
    document: 'mutation { updateApiKey(input: { id: "nothing" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.revokeApiKey',
    plane: 'standard',
    permission: 'manageAccount',
    document: 'mutation { revokeApiKey(input: { id: "nothing" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.rollApiKey',
    plane: 'standard',
    permission: 'manageAccount',
    document: 'mutation { rollApiKey(input: { id: "nothing", gracePeriodSeconds: 0 }) { userErrors { code } } }',
  },
  { field: 'AdminQuery.apiKeys', plane: 'admin', document: '{ admin { apiKeys(first: 1) { totalCount } } }' },
  { field: 'AdminQuery.auditEvents', plane: 'admin', document: '{ admin { auditEvents(last: 1) { totalCount } } }' },
  { field: 'AdminQuery.rateLimit', plane: 'admin', document: '{ admin { rateLimit { limit remaining resetAt cost } } }' },
  {
    field: 'Mutation.createAdminApiKey',
    plane: 'admin',
    document: 'mutation { createAdminApiKey(input: { username: "nobody", name: "x" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.adminCreateApiKey',
    plane: 'admin',
    document: 'mutation { adminCreateApiKey(input: { username: "nobody", name: "x" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.setApiKeyRateLimit',
    plane: 'admin',
    document: 'mutation { setApiKeyRateLimit(input: { id: "nothing", requestsPerMinute: 5 }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.revokeAdminApiKey',
    plane: 'admin',
    document: 'mutation { revokeAdminApiKey(input: { id: "nothing" }) { userErrors { code } } }',
  },
  { field: 'Query.algorithm', plane: 'standard', document: '{ algorithm(ref: "nobody/nothing") { id } }' },
  { field: 'Query.algorithms', plane: 'standard', document: '{ algorithms(first: 1) { totalCount } }' },
  {
    field: 'Query.algorithmAccess',
    plane: 'standard',
    document: '{ algorithmAccess(ref: "nobody/nothing") { allowed reason } }',
  },
  {
    field: 'Mutation.createAlgorithm',
    plane: 'standard',
    permission: 'manageAlgorithms',
    document: 'mutation { createAlgorithm(input: { name: "9", details: { label: "" } }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.updateAlgorithm',
    plane: 'standard',
    permission: 'manageAlgorithms',
    document: 'mutation { updateAlgorithm(input: { id: "nothing" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.compileAlgorithm',
    plane: 'standard',
    permission: 'manageAlgorithms',
    document: 'mutation { compileAlgorithm(input: { id: "nothing" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.publishAlgorithm',
    plane: 'standard',
    permission: 'manageAlgorithms',
    document: 'mutation { publishAlgorithm(input: { id: "nothing", versionType: MAJOR }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.deleteAlgorithm',
    plane: 'standard',
    permission: 'manageAlgorithms',
    document: 'mutation { deleteAlgorithm(input: { id: "nothing" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.adminDeleteAlgorithm',
    plane: 'admin',
    document: 'mutation { adminDeleteAlgorithm(input: { id: "nothing" }) { userErrors { code } } }',
  },
  { field: 'Query.user', plane: 'standard', document: '{ user(username: "nobody") { id } }' },
  { field: 'Query.organization', plane: 'standard', document: '{ organization(name: "nothing") { id } }' },
  { field: 'AdminQuery.organizations', plane: 'admin', document: '{ admin { organizations(first: 1) { totalCount } } }' },
  { field: 'AdminQuery.organization', plane: 'admin', document: '{ admin { organization(name: "nothing") { id } } }' },
  {
    field: 'Mutation.updateUser',
    plane: 'admin',
    document: 'mutation { updateUser(input: { username: "nobody" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.deleteUser',
    plane: 'admin',
    document: 'mutation { deleteUser(input: { username: "nobody" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.createOrganization',
    plane: 'admin',
    document: 'mutation { createOrganization(input: { name: "9", label: "", owners: [] }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.updateOrganization',
    plane: 'admin',
    document: 'mutation { updateOrganization(input: { organization: "nothing" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.deleteOrganization',
    plane: 'admin',
    document: 'mutation { deleteOrganization(input: { organization: "nothing" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.addOrganizationMember',
    plane: 'admin',
    document: 'mutation { addOrganizationMember(input: { organization: "nothing", username: "nobody", role: MEMBER }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.removeOrganizationMember',
    plane: 'admin',
    document: 'mutation { removeOrganizationMember(input: { organization: "nothing", username: "nobody" }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.setOrganizationMemberRole',
    plane: 'admin',
    document: 'mutation { setOrganizationMemberRole(input: { organization: "nothing", username: "nobody", role: OWNER }) { userErrors { code } } }',
  },
  {
    field: 'Mutation.createUser',
    plane: 'admin',
    // Invalid on purpose: an allowed call answers with userErrors and creates nothing.
    document: 'mutation { createUser(input: { username: "9", email: "x" }) { userErrors { code } } }',
  },
];

/** A well-formed key with a valid checksum that no database has ever stored. */
export function unknownKey(kind: 'STANDARD' | 'ADMIN' = 'STANDARD'): string {
  return generateApiKey(kind);
}

/** The same key with its last checksum character changed. */
export function badChecksum(key: string): string {
  const last = key.at(-1) === 'a' ? 'b' : 'a';
  return key.slice(0, -1) + last;
}
