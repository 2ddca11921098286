/**
 * The calls a gateway asks the authorizer about (docs/AUTHORIZER.md): an algorithm call, a Data
 * API call, or something else; and the verdict on one. The reasons a call is refused are one list,
 * of which `algorithmAccess`'s are a part (algorithms/model.ts).
 */
import type { DataAccess } from '../../db/enums.js';
import type { AccessVerdict, AlgorithmCall } from '../algorithms/access.js';
import { ACCESS_REFUSALS, type AccessRefusal } from '../algorithms/model.js';

export type Call =
  | ({ kind: 'algorithm' } & AlgorithmCall)
  | {
      kind: 'data';
      method: string;
      needs: Exclude<DataAccess, 'NONE'>;
      /**
       * The owner whose data it reaches, by name; null for the key's own: `.my`, and a connector to
       * storage of the caller's own (`s3`, `dropbox`, …: configured by the owner, named by no owner).
       */
      owner: string | null;
    }
  | { kind: 'unknown' };

export const CALL_REFUSALS = ['ADMIN_KEY', ...ACCESS_REFUSALS, 'DATA_ACCESS_DENIED', 'NOT_OWN_DATA', 'UNKNOWN_CALL'] as const;
export type CallRefusal = (typeof CALL_REFUSALS)[number];

/** The refusals that are the call's own, not an algorithm's. */
export type CallOnlyRefusal = Exclude<CallRefusal, AccessRefusal>;

/** The verdict on a call: an algorithm call's is `decideAlgorithmCall`'s; `algorithm` is null for any other. */
export type CallVerdict =
  | AccessVerdict
  | { allowed: true; algorithm: null }
  | { allowed: false; reason: CallOnlyRefusal; message: string; algorithm: null };
