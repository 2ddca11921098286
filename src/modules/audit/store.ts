/** Audit events' rows: appended with the change's own transaction handle, read oldest first. */
import { and, count, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/connect.js';
import { auditEvents } from '../../db/schema.js';
import type { Page, PageArgs } from '../../core/pagination.js';
import { keysetPage } from '../../db/keyset.js';

export type AuditEventRecord = typeof auditEvents.$inferSelect;
export type NewAuditEvent = typeof auditEvents.$inferInsert;

export async function insertAuditEvent(tx: Db, event: NewAuditEvent): Promise<void> {
  await tx.insert(auditEvents).values(event);
}

export async function findAuditEventsByIds(db: Db, ids: bigint[]): Promise<AuditEventRecord[]> {
  return db.select().from(auditEvents).where(inArray(auditEvents.id, ids));
}

/** The trail, oldest first (ask for `last` to see the newest), optionally narrowed. */
export async function listAuditEvents(
  db: Db,
  args: PageArgs & { action?: string | null; target?: { type: string; id: string } | null },
): Promise<Page<AuditEventRecord & { createdAt: Date }>> {
  const filter = and(
    args.action ? eq(auditEvents.action, args.action) : undefined,
    args.target ? and(eq(auditEvents.targetType, args.target.type), eq(auditEvents.targetId, args.target.id)) : undefined,
  );
  return keysetPage(
    args,
    { createdAt: auditEvents.at, id: auditEvents.id, idKind: 'bigint' },
    async (page) =>
      (await db.select().from(auditEvents).where(and(filter, page.where)).orderBy(...page.orderBy).limit(page.limit)).map((event) => ({
        ...event,
        createdAt: event.at,
      })),
    async () => (await db.select({ n: count() }).from(auditEvents).where(filter))[0]?.n ?? 0,
  );
}
