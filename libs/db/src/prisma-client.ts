import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client.js';

export interface PrismaClientOptions {
  /** Most connections the client's own pool opens (default 10). */
  max?: number;
}

/**
 * Prisma 7 through the `pg` driver adapter: no native query engine, so it runs anywhere Node runs,
 * including against the embedded PGlite server.
 */
export function createPrismaClient(url: string, options: PrismaClientOptions = {}): PrismaClient {
  const adapter = new PrismaPg({ connectionString: url, max: options.max ?? 10, application_name: 'airlock-prisma' });
  return new PrismaClient({ adapter });
}
