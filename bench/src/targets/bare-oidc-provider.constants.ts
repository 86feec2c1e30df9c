/** Shared by the bare oidc-provider target and the scenario that loads it. */
export const BENCH_CLIENT = { clientId: 'bench-service', clientSecret: 'bench-service-secret-0123456789abcdef' };
/** A public client (PKCE, no secret) whose refresh tokens rotate, as MCP clients' do. */
export const BENCH_PUBLIC_CLIENT = { clientId: 'bench-public', redirectUri: 'http://127.0.0.1:9/callback' };
export const BENCH_RESOURCE = 'https://bench.airlock.local/mcp';
