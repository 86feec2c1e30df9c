import { fileURLToPath } from 'node:url';

/** prisma/migrations at the repository root, from src/ (tests) and dist/ (node) alike. */
export const defaultMigrationsDir = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));
