ALTER TABLE "algorithm_versions" ADD COLUMN "git_hash" text;--> statement-breakpoint
-- Versions published before hashes existed get one each: 40 hex digits from md5 alone, which both
-- PGlite and Postgres have without extensions (the id makes each row's input differ).
UPDATE "algorithm_versions" SET "git_hash" = md5(random()::text || "id"::text) || substr(md5("id"::text), 1, 8);--> statement-breakpoint
ALTER TABLE "algorithm_versions" ALTER COLUMN "git_hash" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "algorithms" ADD COLUMN "pending_build_hash" text;--> statement-breakpoint
CREATE UNIQUE INDEX "algorithm_versions_git_hash_key" ON "algorithm_versions" USING btree ("git_hash");--> statement-breakpoint
ALTER TABLE "algorithm_versions" ADD CONSTRAINT "algorithm_versions_git_hash_format" CHECK ("algorithm_versions"."git_hash" ~ '^[0-9a-f]{40}$');--> statement-breakpoint
ALTER TABLE "algorithms" ADD CONSTRAINT "algorithms_pending_build_hash_format" CHECK ("algorithms"."pending_build_hash" ~ '^[0-9a-f]{40}$');
