/**
 * The audit trail: one event per security-relevant change, written with the same transaction handle
 * as the change so both commit or neither does. Callers pass a summary that is already redacted;
 * `redact` drops any field, at any depth, whose name looks secret, as a last guard.
 */
import type { Actor } from '../../auth/principal.js';
import type { Db } from '../../db/connect.js';
import { insertAuditEvent } from './store.js';

export type AuditTarget = { type: 'USER' | 'ORGANIZATION' | 'API_KEY' | 'ALGORITHM'; id: string };

const SECRET_FIELDS = /secret|password|hash|token/i;

function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object' || value instanceof Date) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([field]) => !SECRET_FIELDS.test(field))
      .map(([field, inner]) => [field, redact(inner)]),
  );
}

export async function recordAudit(
  tx: Db,
  actor: Actor,
  action: string,
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
    summary: redact(summary),
  });
}
