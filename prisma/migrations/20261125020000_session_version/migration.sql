-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;
