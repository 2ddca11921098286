/**
 * The authorizer's decision on a call a gateway is about to pass on (docs/AUTHORIZER.md), from the
 * rules the services hold, none copied: an algorithm call is `decideAlgorithmCall`'s, the decision
 * of `algorithmAccess`; a data call is the key's dataAccess and its owner's data (auth/data-access.ts).
 * Admin keys call nothing (Algorithmia's rule: they administer, they do not use).
 */
import { dataAccessAllows, ownsData } from '../../auth/data-access.js';
import type { Caller } from '../../auth/origin.js';
import type { Principal } from '../../auth/principal.js';
import type { NowOrLater } from '../../core/now-or-later.js';
import { decideAlgorithmCall } from '../algorithms/access.js';
import type { SheetSource } from '../algorithms/call-sheets.js';
import type { Call, CallOnlyRefusal, CallVerdict } from './model.js';

const REFUSAL_TEXT: Record<CallOnlyRefusal, string> = {
  ADMIN_KEY: 'Admin keys call no algorithm and reach no data: use a standard key.',
  DATA_ACCESS_DENIED: "The key's dataAccess does not allow this.",
  NOT_OWN_DATA: "The key reaches only its owner's data (data://.my/…): an organization's data takes one of the organization's keys.",
  UNKNOWN_CALL: 'Not an algorithm call (POST /v1/algo/…) or a Data API call (/v1/data/…, /v1/connector/…).',
};

const refused = (reason: CallOnlyRefusal, message = REFUSAL_TEXT[reason]): CallVerdict => ({ allowed: false, reason, message, algorithm: null });

const DATA_ALLOWED: CallVerdict = { allowed: true, algorithm: null };

/** The verdict, at once when what it reads is cached. */
export function decideCall(sheets: SheetSource, principal: Principal, caller: Caller, call: Call): NowOrLater<CallVerdict> {
  if (principal.keyKind === 'ADMIN') return refused('ADMIN_KEY');
  switch (call.kind) {
    case 'algorithm':
      return decideAlgorithmCall(sheets, principal, caller, call);
    case 'data':
      return decideDataCall(principal, call);
    case 'unknown':
      return refused('UNKNOWN_CALL');
  }
}

function decideDataCall(principal: Principal, call: Call & { kind: 'data' }): CallVerdict {
  const held = principal.permissions.dataAccess;
  if (!dataAccessAllows(held, call.needs)) return refused('DATA_ACCESS_DENIED', `The key's dataAccess is ${held}: ${call.method} needs ${call.needs}.`);
  if (call.owner !== null && !ownsData(principal, call.owner)) return refused('NOT_OWN_DATA');
  return DATA_ALLOWED;
}
