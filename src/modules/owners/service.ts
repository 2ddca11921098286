/** Owners are users or organizations: one namespace, one loader for whichever an id names. */
import type { Db } from '../../db/connect.js';
import { findOrganizationsByIds, type OrganizationRecord } from '../organizations/service.js';
import { findUsersByIds, type UserRecord } from '../users/service.js';

export type OwnerRecord = UserRecord | OrganizationRecord;

export async function findOwnersByIds(db: Db, ids: readonly string[]): Promise<OwnerRecord[]> {
  const [foundUsers, foundOrganizations] = await Promise.all([findUsersByIds(db, ids), findOrganizationsByIds(db, ids)]);
  return [...foundUsers, ...foundOrganizations];
}
