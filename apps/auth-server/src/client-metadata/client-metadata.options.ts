import type { SafeFetchOptions } from './safe-fetcher.js';

export interface ClientMetadataOptions extends SafeFetchOptions {
  /** Bounds on how long a fetched document is trusted, whatever its Cache-Control says (seconds). */
  minCacheSeconds: number;
  maxCacheSeconds: number;
  /**
   * Documents fetched per tenant (across replicas) per minute, and at once per process: a flood of
   * authorization requests naming fresh client_id URLs must not turn the auth server into a crawler.
   */
  maxFetchesPerTenantPerMinute: number;
  maxConcurrentFetchesPerTenant: number;
}

/** Injection token for the options (the module derives them from the auth server config). */
export const CLIENT_METADATA_OPTIONS = Symbol.for('airlock.auth-server.client-metadata-options');

export function defaultClientMetadataOptions(env: 'development' | 'production' | 'test'): ClientMetadataOptions {
  return {
    // The draft suggests authorization servers may limit documents to 5 KiB; real ones are < 1 KiB.
    maxBytes: 5 * 1024,
    timeoutMs: 5_000,
    maxRedirects: 3,
    allowLoopbackHttp: env !== 'production',
    minCacheSeconds: 60,
    maxCacheSeconds: 24 * 60 * 60,
    maxFetchesPerTenantPerMinute: 60,
    maxConcurrentFetchesPerTenant: 8,
  };
}
