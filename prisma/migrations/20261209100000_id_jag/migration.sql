-- ID-JAG (issue 16): the Identity Assertion JWT Authorization Grant on both sides, and pre-approved clients.
-- Resource side: the IdPs a tenant trusts for jwt-bearer assertions. IdP side: the authorization servers a
-- tenant may issue ID-JAGs for. Pre-approvals: clients an admin lets skip the consent screen.

-- CreateTable
CREATE TABLE "trusted_assertion_issuers" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "issuer" TEXT NOT NULL,
    "jwks_uri" TEXT,
    "jwks" JSONB,
    "allowed_client_ids" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "trusted_assertion_issuers_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "trusted_assertion_issuers_keys_check" CHECK ("jwks_uri" IS NOT NULL OR "jwks" IS NOT NULL)
);

-- CreateTable
CREATE TABLE "id_jag_audiences" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "audience" TEXT NOT NULL,
    "resources" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "allowed_client_ids" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "id_jag_audiences_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "client_pre_approvals" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "client_id" TEXT NOT NULL,
    "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "client_pre_approvals_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "trusted_assertion_issuers_tenant_id_issuer_key" ON "trusted_assertion_issuers"("tenant_id", "issuer");

-- CreateIndex
CREATE UNIQUE INDEX "id_jag_audiences_tenant_id_audience_key" ON "id_jag_audiences"("tenant_id", "audience");

-- CreateIndex
CREATE UNIQUE INDEX "client_pre_approvals_tenant_id_client_id_key" ON "client_pre_approvals"("tenant_id", "client_id");

-- AddForeignKey
ALTER TABLE "trusted_assertion_issuers" ADD CONSTRAINT "trusted_assertion_issuers_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "id_jag_audiences" ADD CONSTRAINT "id_jag_audiences_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "client_pre_approvals" ADD CONSTRAINT "client_pre_approvals_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
