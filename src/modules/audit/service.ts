/**
 * The audit trail: one event per security-relevant change, written with the same transaction handle
 * as the change so both commit or neither does. Callers pass a summary that is already redacted;
 * `redact` strips anything secret-shaped as a last guard.
 */
import type { Db } from '../../db/connect.js';
import { auditEvents } from '../../db/schema.js';
import type { Actor } from '../../auth/principal.js';

export type AuditTarget = { type: 'USER' | 'ORGANIZATION' | 'API_KEY' | 'ALGORITHM'; id: string };

const SECRET_FIELDS = /secret|password|hash|token/i;

function redact(summary: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(summary).filter(([field]) => !SECRET_FIELDS.test(field)));
}

export async function recordAudit(
  tx: Db,
  actor: Actor,
  action: string,
  target: AuditTarget,
  summary: Record<string, unknown> = {},
): Promise<void> {
  await tx.insert(auditEvents).values({
    actorKeyId: actor.keyId,
    actorUserId: actor.userId,
    actorVia: actor.via,
    action,
    targetType: target.type,
    targetId: target.id,
    summary: redact(summary),
  });
}
