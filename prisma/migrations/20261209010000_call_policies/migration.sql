-- Call policy (issue 17): one Cedar policy per tenant that decides each tools/call at the gateway, the
-- tenant's default when no rule matches, and whether (and how redacted) call arguments are audited.

-- CreateEnum
CREATE TYPE "CallPolicyDefault" AS ENUM ('allow', 'deny');

-- CreateTable
CREATE TABLE "call_policies" (
    "tenant_id" UUID NOT NULL,
    "cedar" TEXT NOT NULL DEFAULT '',
    "default_effect" "CallPolicyDefault" NOT NULL DEFAULT 'allow',
    "version" INTEGER NOT NULL DEFAULT 1,
    "record_arguments" BOOLEAN NOT NULL DEFAULT false,
    "redacted_keys" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "updated_by" TEXT,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "call_policies_pkey" PRIMARY KEY ("tenant_id")
);

-- AddForeignKey
ALTER TABLE "call_policies" ADD CONSTRAINT "call_policies_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
