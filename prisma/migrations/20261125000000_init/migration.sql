-- CreateEnum
CREATE TYPE "RegistrationPolicy" AS ENUM ('open', 'initial_access_token', 'off');

-- CreateEnum
CREATE TYPE "ClientKind" AS ENUM ('admin', 'dynamic', 'metadata_document');

-- CreateEnum
CREATE TYPE "SigningKeyState" AS ENUM ('next', 'active', 'retired');

-- CreateEnum
CREATE TYPE "SessionKind" AS ENUM ('mcp', 'login');

-- CreateEnum
CREATE TYPE "SessionState" AS ENUM ('active', 'revoked', 'expired');

-- CreateEnum
CREATE TYPE "UpstreamTransport" AS ENUM ('http', 'stdio');

-- CreateEnum
CREATE TYPE "AuditOutcome" AS ENUM ('success', 'failure', 'denied');

-- CreateTable
CREATE TABLE "tenants" (
    "id" UUID NOT NULL,
    "slug" TEXT NOT NULL,
    "display_name" TEXT NOT NULL,
    "registration_policy" "RegistrationPolicy" NOT NULL DEFAULT 'open',
    "access_token_ttl" INTEGER NOT NULL DEFAULT 600,
    "settings" JSONB NOT NULL DEFAULT '{}',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tenants_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "users" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "email" TEXT NOT NULL,
    "display_name" TEXT,
    "password_hash" TEXT NOT NULL,
    "disabled_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "users_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "oauth_clients" (
    "tenant_id" UUID NOT NULL,
    "client_id" TEXT NOT NULL,
    "kind" "ClientKind" NOT NULL,
    "metadata" JSONB NOT NULL,
    "registration_access_token_hash" TEXT,
    "fetched_at" TIMESTAMPTZ(3),
    "stale_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "oauth_clients_pkey" PRIMARY KEY ("tenant_id","client_id")
);

-- CreateTable
CREATE TABLE "consents" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "client_id" TEXT NOT NULL,
    "grant_id" TEXT NOT NULL,
    "scopes" TEXT[],
    "resource" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "consents_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "oidc_artifacts" (
    "tenant_id" UUID NOT NULL,
    "model" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "grant_id" TEXT,
    "user_code" TEXT,
    "uid" TEXT,
    "expires_at" TIMESTAMPTZ(3),
    "consumed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "oidc_artifacts_pkey" PRIMARY KEY ("tenant_id","model","id")
);

-- CreateTable
CREATE TABLE "signing_keys" (
    "kid" TEXT NOT NULL,
    "tenant_id" UUID NOT NULL,
    "alg" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "private_jwk_encrypted" TEXT NOT NULL,
    "state" "SigningKeyState" NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activated_at" TIMESTAMPTZ(3),
    "retired_at" TIMESTAMPTZ(3),
    "not_after" TIMESTAMPTZ(3),

    CONSTRAINT "signing_keys_pkey" PRIMARY KEY ("kid")
);

-- CreateTable
CREATE TABLE "sessions" (
    "id" TEXT NOT NULL,
    "tenant_id" UUID NOT NULL,
    "kind" "SessionKind" NOT NULL,
    "subject" TEXT NOT NULL,
    "client_id" TEXT NOT NULL,
    "grant_id" TEXT,
    "protocol_version" TEXT,
    "client_info" JSONB,
    "capabilities" JSONB,
    "upstreams" JSONB NOT NULL DEFAULT '[]',
    "created_at" TIMESTAMPTZ(3) NOT NULL,
    "last_seen_at" TIMESTAMPTZ(3) NOT NULL,
    "idle_timeout_seconds" INTEGER NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "state" "SessionState" NOT NULL DEFAULT 'active',
    "ended_reason" TEXT,
    "ended_at" TIMESTAMPTZ(3),

    CONSTRAINT "sessions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "revoked_grants" (
    "tenant_id" UUID NOT NULL,
    "grant_id" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "not_after" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "revoked_grants_pkey" PRIMARY KEY ("tenant_id","grant_id")
);

-- CreateTable
CREATE TABLE "upstream_servers" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "transport" "UpstreamTransport" NOT NULL,
    "url" TEXT,
    "command" TEXT,
    "args" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "secrets_encrypted" TEXT,
    "credential_kind" TEXT NOT NULL DEFAULT 'none',
    "protocol_version" TEXT,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "upstream_servers_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "tools" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "server_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "title" TEXT,
    "description" TEXT,
    "required_scopes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "input_schema" JSONB,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "tools_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_events" (
    "id" TEXT NOT NULL,
    "tenant_id" UUID NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "actor_subject" TEXT,
    "actor_client_id" TEXT,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "outcome" "AuditOutcome" NOT NULL,
    "request_id" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "audit_events_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tenants_slug_key" ON "tenants"("slug");

-- CreateIndex
CREATE UNIQUE INDEX "users_tenant_id_email_key" ON "users"("tenant_id", "email");

-- CreateIndex
CREATE UNIQUE INDEX "consents_tenant_id_grant_id_key" ON "consents"("tenant_id", "grant_id");

-- CreateIndex
CREATE INDEX "consents_tenant_id_user_id_idx" ON "consents"("tenant_id", "user_id");

-- CreateIndex
CREATE INDEX "oidc_artifacts_tenant_id_grant_id_idx" ON "oidc_artifacts"("tenant_id", "grant_id");

-- CreateIndex
CREATE INDEX "oidc_artifacts_tenant_id_model_uid_idx" ON "oidc_artifacts"("tenant_id", "model", "uid");

-- CreateIndex
CREATE INDEX "oidc_artifacts_tenant_id_model_user_code_idx" ON "oidc_artifacts"("tenant_id", "model", "user_code");

-- CreateIndex
CREATE INDEX "oidc_artifacts_expires_at_idx" ON "oidc_artifacts"("expires_at");

-- CreateIndex
CREATE INDEX "signing_keys_tenant_id_state_idx" ON "signing_keys"("tenant_id", "state");

-- CreateIndex
CREATE INDEX "sessions_tenant_id_subject_idx" ON "sessions"("tenant_id", "subject");

-- CreateIndex
CREATE INDEX "sessions_tenant_id_client_id_idx" ON "sessions"("tenant_id", "client_id");

-- CreateIndex
CREATE INDEX "sessions_tenant_id_grant_id_idx" ON "sessions"("tenant_id", "grant_id");

-- CreateIndex
CREATE INDEX "sessions_state_expires_at_idx" ON "sessions"("state", "expires_at");

-- CreateIndex
CREATE INDEX "revoked_grants_not_after_idx" ON "revoked_grants"("not_after");

-- CreateIndex
CREATE UNIQUE INDEX "upstream_servers_tenant_id_name_key" ON "upstream_servers"("tenant_id", "name");

-- CreateIndex
CREATE UNIQUE INDEX "tools_server_id_name_key" ON "tools"("server_id", "name");

-- CreateIndex
CREATE INDEX "tools_tenant_id_idx" ON "tools"("tenant_id");

-- CreateIndex
CREATE INDEX "audit_events_tenant_id_occurred_at_idx" ON "audit_events"("tenant_id", "occurred_at");

-- AddForeignKey
ALTER TABLE "users" ADD CONSTRAINT "users_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "oauth_clients" ADD CONSTRAINT "oauth_clients_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consents" ADD CONSTRAINT "consents_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "consents" ADD CONSTRAINT "consents_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "oidc_artifacts" ADD CONSTRAINT "oidc_artifacts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "signing_keys" ADD CONSTRAINT "signing_keys_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "revoked_grants" ADD CONSTRAINT "revoked_grants_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "upstream_servers" ADD CONSTRAINT "upstream_servers_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tools" ADD CONSTRAINT "tools_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "tools" ADD CONSTRAINT "tools_server_id_fkey" FOREIGN KEY ("server_id") REFERENCES "upstream_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "audit_events" ADD CONSTRAINT "audit_events_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
