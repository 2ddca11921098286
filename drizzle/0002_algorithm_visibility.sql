ALTER TABLE "algorithms" ADD COLUMN "callability" "callability" DEFAULT 'PRIVATE' NOT NULL;--> statement-breakpoint
ALTER TABLE "algorithms" ADD COLUMN "has_public_version" boolean DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX "algorithms_public_created_at_id_idx" ON "algorithms" USING btree ("created_at","id") WHERE "algorithms"."has_public_version";