CREATE TABLE "api_key_usage_days" (
	"api_key_id" uuid NOT NULL,
	"day" date NOT NULL,
	"calls" integer DEFAULT 0 NOT NULL,
	"refused" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "api_key_usage_days_api_key_id_day_pk" PRIMARY KEY("api_key_id","day"),
	CONSTRAINT "api_key_usage_days_counts_non_negative" CHECK ("api_key_usage_days"."calls" >= 0 and "api_key_usage_days"."refused" >= 0)
);
--> statement-breakpoint
ALTER TABLE "api_key_usage_days" ADD CONSTRAINT "api_key_usage_days_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "api_key_usage_days_day_idx" ON "api_key_usage_days" USING btree ("day");