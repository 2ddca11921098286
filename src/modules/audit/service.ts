/**
 * The audit trail: one event per security-relevant change, written with the same transaction handle
 * as the change so both commit or neither does. Callers pass a summary that is already redacted;
 * any field whose name looks secret is dropped all the same, as a last guard (core/redaction.ts).
 */
import type { Actor } from '../../auth/principal.js';
import { withoutSecretFields } from '../../core/redaction.js';
import type { Db } from '../../db/connect.js';
import { insertAuditEvent } from './store.js';

export type AuditTarget = { type: 'USER' | 'ORGANIZATION' | 'API_KEY' | 'ALGORITHM'; id: string };

/** Every action the trail records, so a change is audited only under a name readers know. */
export type AuditAction =
  | 'USER_CREATED'
  | 'USER_UPDATED'
  | 'USER_DELETED'
  | 'ORGANIZATION_CREATED'
  | 'ORGANIZATION_UPDATED'
  | 'ORGANIZATION_DELETED'
  | 'ORGANIZATION_MEMBER_ADDED'
  | 'ORGANIZATION_MEMBER_REMOVED'
  | 'ORGANIZATION_MEMBER_ROLE_CHANGED'
  | 'API_KEY_CREATED'
  | 'API_KEY_UPDATED'
  | 'API_KEY_ROLLED'
  | 'API_KEY_REVOKED'
  | 'API_KEY_RATE_LIMIT_SET'
  | 'ALGORITHM_CREATED'
  | 'ALGORITHM_UPDATED'
  | 'ALGORITHM_PUBLISHED'
  | 'ALGORITHM_DELETED';

/** Filters on the trail: the longest action above, and a target's id (a UUID), with room to spare. */
export const MAX_ACTION_LENGTH = 64;
export const MAX_TARGET_ID_LENGTH = 64;

export async function recordAudit(
  tx: Db,
  actor: Actor,
  action: AuditAction,
  target: AuditTarget,
  summary: Record<string, unknown> = {},
): Promise<void> {
  await insertAuditEvent(tx, {
    actorKeyId: actor.keyId,
    actorUserId: actor.userId,
    actorVia: actor.via,
    action,
    targetType: target.type,
    targetId: target.id,
    summary: withoutSecretFields(summary) as Record<string, unknown>,
  });
}
