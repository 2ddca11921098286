ALTER TABLE "idempotency_records" ADD COLUMN "response_bytes" integer;--> statement-breakpoint
-- Records finished before this migration held their whole answer: their size marks them finished.
UPDATE "idempotency_records" SET "response_bytes" = octet_length("response"::text) WHERE "response" IS NOT NULL;--> statement-breakpoint
-- Records of keys already revoked could never be replayed; the foreign key below would refuse them.
DELETE FROM "idempotency_records" r WHERE NOT EXISTS (SELECT 1 FROM "api_keys" k WHERE k."id" = r."api_key_id");--> statement-breakpoint
ALTER TABLE "idempotency_records" ADD CONSTRAINT "idempotency_records_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "idempotency_records_api_key_expires_at_idx" ON "idempotency_records" USING btree ("api_key_id","expires_at");
