import { createRequire } from 'node:module';

/** What exported records name as their source (OCSF `metadata.product`, the CEF header). */
export const PRODUCT = { name: 'Airlock', vendor: 'Airlock', version: airlockVersion() } as const;

/** The root package's version (src/ and dist/ sit at the same depth; /app/package.json in the image). */
function airlockVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../../../package.json') as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
