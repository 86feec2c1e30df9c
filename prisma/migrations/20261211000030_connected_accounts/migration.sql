-- Connected accounts (issue 17): per-user tokens at `oauth_user` upstreams, and the gateway's client at
-- each such upstream's authorization server. Both sealed under the master key.

-- CreateTable
CREATE TABLE "connected_accounts" (
    "id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "user_id" UUID NOT NULL,
    "server_id" UUID NOT NULL,
    "tokens_encrypted" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3),
    "scopes" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "refreshed_at" TIMESTAMPTZ(3),

    CONSTRAINT "connected_accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "upstream_oauth_clients" (
    "server_id" UUID NOT NULL,
    "tenant_id" UUID NOT NULL,
    "issuer" TEXT NOT NULL,
    "client_encrypted" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "upstream_oauth_clients_pkey" PRIMARY KEY ("server_id")
);

-- CreateIndex
CREATE UNIQUE INDEX "connected_accounts_user_id_server_id_key" ON "connected_accounts"("user_id", "server_id");

-- CreateIndex
CREATE INDEX "connected_accounts_tenant_id_server_id_idx" ON "connected_accounts"("tenant_id", "server_id");

-- AddForeignKey
ALTER TABLE "connected_accounts" ADD CONSTRAINT "connected_accounts_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "connected_accounts" ADD CONSTRAINT "connected_accounts_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "connected_accounts" ADD CONSTRAINT "connected_accounts_server_id_fkey" FOREIGN KEY ("server_id") REFERENCES "upstream_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "upstream_oauth_clients" ADD CONSTRAINT "upstream_oauth_clients_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "upstream_oauth_clients" ADD CONSTRAINT "upstream_oauth_clients_server_id_fkey" FOREIGN KEY ("server_id") REFERENCES "upstream_servers"("id") ON DELETE CASCADE ON UPDATE CASCADE;
