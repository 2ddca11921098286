CREATE TYPE "public"."api_key_kind" AS ENUM('STANDARD', 'ADMIN');--> statement-breakpoint
CREATE TYPE "public"."callability" AS ENUM('PUBLIC', 'PRIVATE');--> statement-breakpoint
CREATE TYPE "public"."data_access" AS ENUM('NONE', 'READ', 'READ_WRITE');--> statement-breakpoint
CREATE TYPE "public"."environment" AS ENUM('CPU', 'GPU');--> statement-breakpoint
CREATE TYPE "public"."language" AS ENUM('JAVA', 'JAVASCRIPT', 'PYTHON2', 'PYTHON3', 'R', 'RUBY', 'RUST', 'SCALA');--> statement-breakpoint
CREATE TYPE "public"."license" AS ENUM('APL', 'APACHE2', 'GPL3', 'MIT');--> statement-breakpoint
CREATE TYPE "public"."member_role" AS ENUM('OWNER', 'MEMBER');--> statement-breakpoint
CREATE TYPE "public"."network_access" AS ENUM('ISOLATED', 'FULL');--> statement-breakpoint
CREATE TYPE "public"."organization_type" AS ENUM('BASIC', 'LEGACY', 'PRO');--> statement-breakpoint
CREATE TYPE "public"."owner_kind" AS ENUM('USER', 'ORGANIZATION');--> statement-breakpoint
CREATE TYPE "public"."source_visibility" AS ENUM('OPEN', 'CLOSED');--> statement-breakpoint
CREATE TYPE "public"."version_type" AS ENUM('MAJOR', 'MINOR', 'REVISION');--> statement-breakpoint
CREATE TABLE "algorithm_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"algorithm_id" uuid NOT NULL,
	"major" integer NOT NULL,
	"minor" integer NOT NULL,
	"patch" integer NOT NULL,
	"version_type" "version_type" NOT NULL,
	"callability" "callability" NOT NULL,
	"release_notes" text,
	"sample_input" text,
	"sample_output" text,
	"details" jsonb NOT NULL,
	"settings" jsonb NOT NULL,
	"published_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"published_by_user_id" uuid,
	"published_by_key_id" uuid
);
--> statement-breakpoint
CREATE TABLE "algorithms" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"label" text NOT NULL,
	"summary" text,
	"tagline" text,
	"license" "license" DEFAULT 'APL' NOT NULL,
	"network_access" "network_access" DEFAULT 'ISOLATED' NOT NULL,
	"pipeline_enabled" boolean DEFAULT false NOT NULL,
	"source_visibility" "source_visibility" DEFAULT 'CLOSED' NOT NULL,
	"language" "language",
	"environment" "environment",
	"package_set" text,
	"royalty_microcredits" integer DEFAULT 0 NOT NULL,
	"sample_input" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "algorithms_name_format" CHECK ("algorithms"."name" ~ '^[A-Za-z][A-Za-z0-9_]*$' and length("algorithms"."name") <= 30),
	CONSTRAINT "algorithms_royalty_non_negative" CHECK ("algorithms"."royalty_microcredits" >= 0)
);
--> statement-breakpoint
CREATE TABLE "api_key_secrets" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"api_key_id" uuid NOT NULL,
	"hash" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp (3) with time zone,
	CONSTRAINT "api_key_secrets_hash_format" CHECK ("api_key_secrets"."hash" ~ '^[0-9a-f]{64}$')
);
--> statement-breakpoint
CREATE TABLE "api_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"owner_id" uuid NOT NULL,
	"created_by_user_id" uuid,
	"name" text NOT NULL,
	"kind" "api_key_kind" NOT NULL,
	"mask" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp (3) with time zone,
	"expires_at" timestamp (3) with time zone,
	"disabled" boolean DEFAULT false NOT NULL,
	"algorithm_access" text[] DEFAULT '{}'::text[] NOT NULL,
	"manage_algorithms" boolean DEFAULT false NOT NULL,
	"manage_account" boolean DEFAULT false NOT NULL,
	"data_access" "data_access" DEFAULT 'NONE' NOT NULL,
	"allow_native_clients" boolean DEFAULT true NOT NULL,
	"allow_browser" boolean DEFAULT false NOT NULL,
	"referrer_hosts" text[] DEFAULT '{}'::text[] NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"actor_key_id" uuid,
	"actor_user_id" uuid,
	"actor_via" text NOT NULL,
	"action" text NOT NULL,
	"target_type" text NOT NULL,
	"target_id" text NOT NULL,
	"summary" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organization_members" (
	"organization_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"role" "member_role" NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "organization_members_organization_id_user_id_pk" PRIMARY KEY("organization_id","user_id")
);
--> statement-breakpoint
CREATE TABLE "organizations" (
	"id" uuid PRIMARY KEY NOT NULL,
	"label" text NOT NULL,
	"contact_name" text,
	"email" text,
	"url" text,
	"type" "organization_type" DEFAULT 'BASIC' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "owners" (
	"id" uuid PRIMARY KEY NOT NULL,
	"kind" "owner_kind" NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	CONSTRAINT "owners_name_format" CHECK ("owners"."name" ~ '^[A-Za-z][A-Za-z0-9_]*$' and length("owners"."name") <= 30)
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" uuid PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"full_name" text,
	"company_name" text,
	"company_role" text,
	"is_admin" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "algorithm_versions" ADD CONSTRAINT "algorithm_versions_algorithm_id_algorithms_id_fk" FOREIGN KEY ("algorithm_id") REFERENCES "public"."algorithms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "algorithm_versions" ADD CONSTRAINT "algorithm_versions_published_by_user_id_users_id_fk" FOREIGN KEY ("published_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "algorithms" ADD CONSTRAINT "algorithms_owner_id_owners_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."owners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_key_secrets" ADD CONSTRAINT "api_key_secrets_api_key_id_api_keys_id_fk" FOREIGN KEY ("api_key_id") REFERENCES "public"."api_keys"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_owner_id_owners_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."owners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_created_by_user_id_users_id_fk" FOREIGN KEY ("created_by_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_members" ADD CONSTRAINT "organization_members_organization_id_organizations_id_fk" FOREIGN KEY ("organization_id") REFERENCES "public"."organizations"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organization_members" ADD CONSTRAINT "organization_members_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "organizations" ADD CONSTRAINT "organizations_id_owners_id_fk" FOREIGN KEY ("id") REFERENCES "public"."owners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_id_owners_id_fk" FOREIGN KEY ("id") REFERENCES "public"."owners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "algorithm_versions_semver_key" ON "algorithm_versions" USING btree ("algorithm_id","major","minor","patch");--> statement-breakpoint
CREATE INDEX "algorithm_versions_callability_idx" ON "algorithm_versions" USING btree ("algorithm_id","callability","major","minor","patch");--> statement-breakpoint
CREATE UNIQUE INDEX "algorithms_owner_name_ci_key" ON "algorithms" USING btree ("owner_id",lower("name"));--> statement-breakpoint
CREATE INDEX "algorithms_owner_created_at_id_idx" ON "algorithms" USING btree ("owner_id","created_at","id");--> statement-breakpoint
CREATE INDEX "algorithms_created_at_id_idx" ON "algorithms" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "api_key_secrets_hash_key" ON "api_key_secrets" USING btree ("hash");--> statement-breakpoint
CREATE INDEX "api_key_secrets_api_key_idx" ON "api_key_secrets" USING btree ("api_key_id");--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_owner_name_key" ON "api_keys" USING btree ("owner_id","name");--> statement-breakpoint
CREATE INDEX "api_keys_owner_created_at_id_idx" ON "api_keys" USING btree ("owner_id","created_at","id");--> statement-breakpoint
CREATE INDEX "api_keys_created_at_id_idx" ON "api_keys" USING btree ("created_at","id");--> statement-breakpoint
CREATE INDEX "audit_events_target_idx" ON "audit_events" USING btree ("target_type","target_id");--> statement-breakpoint
CREATE INDEX "audit_events_actor_user_idx" ON "audit_events" USING btree ("actor_user_id");--> statement-breakpoint
CREATE INDEX "organization_members_user_idx" ON "organization_members" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "organizations_created_at_id_idx" ON "organizations" USING btree ("created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "owners_name_ci_key" ON "owners" USING btree (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_ci_key" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE INDEX "users_created_at_id_idx" ON "users" USING btree ("created_at","id");