/** Shared by the bare oidc-provider target and the scenario that loads it. */
export const BENCH_CLIENT = { clientId: 'bench-service', clientSecret: 'bench-service-secret-0123456789abcdef' };
export const BENCH_RESOURCE = 'https://bench.airlock.local/mcp';
