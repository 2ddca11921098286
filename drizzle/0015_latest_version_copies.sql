-- A copy of each algorithm's newest and newest PUBLIC version's summary_json on its row, kept by
-- publish from now on: lists read the latest version from the algorithm's row instead of probing the
-- versions for it once per row.
ALTER TABLE "algorithms" ADD COLUMN "latest_version_summary_json" text;--> statement-breakpoint
ALTER TABLE "algorithms" ADD COLUMN "latest_public_version_summary_json" text;--> statement-breakpoint
UPDATE "algorithms" SET
  "latest_version_summary_json" = (SELECT "summary_json" FROM "algorithm_versions" WHERE "id" = "algorithms"."latest_version_id"),
  "latest_public_version_summary_json" = (SELECT "summary_json" FROM "algorithm_versions" WHERE "id" = "algorithms"."latest_public_version_id")
WHERE "latest_version_id" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "algorithms" ADD CONSTRAINT "algorithms_latest_version_copy" CHECK (coalesce(("algorithms"."latest_version_summary_json"::json ->> 0)::uuid = "algorithms"."latest_version_id", "algorithms"."latest_version_summary_json" is null and "algorithms"."latest_version_id" is null));--> statement-breakpoint
ALTER TABLE "algorithms" ADD CONSTRAINT "algorithms_latest_public_version_copy" CHECK (coalesce(("algorithms"."latest_public_version_summary_json"::json ->> 0)::uuid = "algorithms"."latest_public_version_id", "algorithms"."latest_public_version_summary_json" is null and "algorithms"."latest_public_version_id" is null));