/**
 * The audit trail: one event per security-relevant change, written with the same transaction handle
 * as the change so both commit or neither does. Callers pass a summary that is already redacted;
 * any field whose name looks secret is dropped all the same, as a last guard (core/redaction.ts).
 */
import type { Actor, Principal } from '../../auth/principal.js';
import { withoutSecretFields } from '../../core/redaction.js';
import type { Db } from '../../db/connect.js';
import { findAuditEventsByIds, insertAuditEvent, type AuditEventRecord } from './store.js';

/**
 * What kinds of object the trail records changes to. The column is text (no migration for it):
 * this list, which the GraphQL enum reads, is what is written to it.
 */
export const AUDIT_TARGET_TYPES = ['USER', 'ORGANIZATION', 'API_KEY', 'ALGORITHM'] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];
export type AuditTarget = { type: AuditTargetType; id: string };

/**
 * Every action the trail records, so a change is audited only under a name readers know: the
 * GraphQL enum AuditAction is this list (the column is text, like the target's type).
 */
export const AUDIT_ACTIONS = [
  'USER_CREATED',
  'USER_UPDATED',
  'USER_DELETED',
  'ORGANIZATION_CREATED',
  'ORGANIZATION_UPDATED',
  'ORGANIZATION_DELETED',
  'ORGANIZATION_MEMBER_ADDED',
  'ORGANIZATION_MEMBER_REMOVED',
  'ORGANIZATION_MEMBER_ROLE_CHANGED',
  'API_KEY_CREATED',
  'API_KEY_UPDATED',
  'API_KEY_ROLLED',
  'API_KEY_REVOKED',
  'API_KEY_RATE_LIMIT_SET',
  'ALGORITHM_CREATED',
  'ALGORITHM_UPDATED',
  'ALGORITHM_PUBLISHED',
  'ALGORITHM_DELETED',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Audit events are read by admin keys only (the trail is on the admin plane): to any other key, none exists. */
export async function auditEventsByIds(db: Db, principal: Principal, ids: readonly string[]): Promise<AuditEventRecord[]> {
  if (principal.keyKind !== 'ADMIN') return [];
  const valid = ids.filter((id) => SEQUENCE_NUMBER.test(id));
  return valid.length === 0 ? [] : findAuditEventsByIds(db, valid.map(BigInt));
}

/** An event's id: its sequence number, a bigint (so at most 19 digits). */
const SEQUENCE_NUMBER = /^[1-9][0-9]{0,18}$/;

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
