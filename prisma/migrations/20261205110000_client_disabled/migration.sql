-- AlterTable
ALTER TABLE "oauth_clients" ADD COLUMN     "disabled_at" TIMESTAMPTZ(3);
