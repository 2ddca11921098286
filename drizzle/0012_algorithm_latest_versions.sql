-- Each algorithm's newest version and newest PUBLIC version, kept by publish from now on: the
-- catalogue reads the one the caller may see by id instead of searching the versions for it.
ALTER TABLE "algorithms" ADD COLUMN "latest_version_id" uuid;--> statement-breakpoint
ALTER TABLE "algorithms" ADD COLUMN "latest_public_version_id" uuid;--> statement-breakpoint
UPDATE "algorithms" SET "latest_version_id" = "newest"."latest", "latest_public_version_id" = "newest"."latest_public"
FROM (
  SELECT "algorithm_id",
    (array_agg("id" ORDER BY "major" DESC, "minor" DESC, "patch" DESC))[1] AS "latest",
    (array_agg("id" ORDER BY "major" DESC, "minor" DESC, "patch" DESC) FILTER (WHERE "callability" = 'PUBLIC'))[1] AS "latest_public"
  FROM "algorithm_versions" GROUP BY "algorithm_id"
) AS "newest"
WHERE "newest"."algorithm_id" = "algorithms"."id";--> statement-breakpoint
ALTER TABLE "algorithms" ADD CONSTRAINT "algorithms_latest_versions" CHECK ("algorithms"."has_public_version" = ("algorithms"."latest_public_version_id" is not null) and ("algorithms"."latest_version_id" is not null or "algorithms"."latest_public_version_id" is null));
