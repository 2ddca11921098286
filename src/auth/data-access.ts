/**
 * What a key may do through the Data API (README, "API keys"): its `dataAccess` says how much, and
 * only its owner's data is within reach. Pure: no I/O.
 *
 *   NONE         nothing
 *   READ         GET and HEAD
 *   READ_WRITE   also PUT, POST, PATCH and DELETE
 */
import type { DataAccess } from '../db/enums.js';
import type { Principal } from './principal.js';

/** The dataAccess a Data API method needs; undefined for a method the Data API does not serve. */
export function dataAccessNeeded(method: string): Exclude<DataAccess, 'NONE'> | undefined {
  switch (method) {
    case 'GET':
    case 'HEAD':
      return 'READ';
    case 'PUT':
    case 'POST':
    case 'PATCH':
    case 'DELETE':
      return 'READ_WRITE';
    default:
      return undefined;
  }
}

const RANK: Record<DataAccess, number> = { NONE: 0, READ: 1, READ_WRITE: 2 };

export const dataAccessAllows = (held: DataAccess, needed: DataAccess): boolean => RANK[held] >= RANK[needed];

/**
 * Whether the data of `owner` (a user's or organization's name, any case) is the key's: a user's
 * key reaches its user's data, an organization's key its organization's. A member's own key does
 * not reach its organization's data: that takes one of the organization's keys.
 */
export const ownsData = (principal: Principal, owner: string): boolean => owner.toLowerCase() === principal.ownerName.toLowerCase();
