import { z } from 'zod';
import { loadConfig, postgresUrl } from '@airlock/config';

const testEnvSchema = z.object({ DATABASE_URL: postgresUrl.optional() });

/** The services the test run points at; none set means everything embedded. Parsed once. */
export const testEnv = (() => {
  const env = loadConfig(testEnvSchema);
  return { databaseUrl: env.DATABASE_URL };
})();
