// Runs `prisma generate` without network access. Prisma tries to download its schema engine before
// generating, although generate never uses it; pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing
// file skips the download (measured on this stack, see README "Offline Prisma").
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const schema = join(root, 'prisma', 'schema.prisma');
const marker = join(root, 'libs', 'db', 'src', 'generated', 'prisma', 'client.ts');

export async function generatePrismaClient({ onlyIfStale = false } = {}) {
  if (!existsSync(schema)) return;
  if (onlyIfStale && existsSync(marker) && statSync(marker).mtimeMs >= statSync(schema).mtimeMs) return;
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'prisma', 'build', 'index.js'), 'generate', '--schema', schema], {
    cwd: root,
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error('prisma generate failed');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await generatePrismaClient();
