-- CreateEnum
CREATE TYPE "AdminRole" AS ENUM ('platform_admin', 'tenant_admin', 'auditor');

-- CreateTable
CREATE TABLE "admin_role_assignments" (
    "id" UUID NOT NULL,
    "user_id" UUID,
    "client_id" TEXT,
    "role" "AdminRole" NOT NULL,
    "all_tenants" BOOLEAN NOT NULL DEFAULT false,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "admin_role_assignments_pkey" PRIMARY KEY ("id"),
    -- One principal per row: a person or a client, never both or neither.
    CONSTRAINT "admin_role_assignments_one_principal" CHECK (("user_id" IS NULL) <> ("client_id" IS NULL))
);

-- CreateTable
CREATE TABLE "admin_role_tenants" (
    "assignment_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,

    CONSTRAINT "admin_role_tenants_pkey" PRIMARY KEY ("assignment_id","tenant_id")
);

-- CreateTable
CREATE TABLE "admin_totp" (
    "user_id" UUID NOT NULL,
    "secret_encrypted" TEXT NOT NULL,
    "last_used_step" BIGINT NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "admin_totp_pkey" PRIMARY KEY ("user_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "admin_role_assignments_user_id_key" ON "admin_role_assignments"("user_id");

-- CreateIndex
CREATE UNIQUE INDEX "admin_role_assignments_client_id_key" ON "admin_role_assignments"("client_id");

-- CreateIndex
CREATE INDEX "admin_role_tenants_tenant_id_idx" ON "admin_role_tenants"("tenant_id");

-- AddForeignKey
ALTER TABLE "admin_role_assignments" ADD CONSTRAINT "admin_role_assignments_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "admin_role_tenants" ADD CONSTRAINT "admin_role_tenants_assignment_id_fkey" FOREIGN KEY ("assignment_id") REFERENCES "admin_role_assignments"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "admin_role_tenants" ADD CONSTRAINT "admin_role_tenants_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "admin_totp" ADD CONSTRAINT "admin_totp_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
