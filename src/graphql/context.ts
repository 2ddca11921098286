import type { KeyCache } from '../auth/key-cache.js';
import type { Caller } from '../auth/origin.js';
import type { Principal } from '../auth/principal.js';
import type { Db } from '../db/connect.js';
import type { RequestState } from '../gate/request.js';
import type { Logger } from '../core/logger.js';
import type { SheetCache, SheetSource } from '../modules/algorithms/call-sheets.js';

/** What every resolver sees. Built after authentication, so a principal is always present. */
export interface GraphQLContext {
  principal: Principal;
  db: Db;
  requestId: string;
  log: Logger;
  /** Where clients call algorithms, for code snippets. */
  algorithmApiUrl: string;
  /** The gate's state of this request: its budget of points, and what it spent. */
  gate: RequestState;
  /** The caller's origin, as the key's caller-origin rules see it. */
  caller: Caller;
  /** This instance's verified keys, for services that change keys or owners to invalidate. */
  keyCache: KeyCache;
  /** This instance's algorithm call sheets: what access decisions read, and what algorithm changes invalidate. */
  callSheets: SheetSource & SheetCache;
}
