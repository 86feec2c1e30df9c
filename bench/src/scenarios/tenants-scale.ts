import { randomBytes } from 'node:crypto';
import { aggregatedMcpUrl, sessionStoreAudience } from '@airlock/contracts';
import { deriveServiceClientSecret, ServiceClients } from '@airlock/platform';
import { startChildTarget } from '../harness/child-target.js';
import type { BenchRow } from '../harness/report.js';
import { measureTokenGrant } from '../harness/token-load.js';
import { bareServer, measureToolsCall } from './mcp-tools-call.js';
import type { ScenarioContext } from './scenario.js';

const TOKEN_CONCURRENCY = 16;
const MCP_SESSIONS = 10;
const CREATE_CONCURRENCY = 8;

/**
 * Scenario 5: token issuance and tools/call latency with the benchmark tenant alone (plus the platform's
 * `admin` and `demo`) and again after 999 more tenants were created through the admin API; ratios
 * 1000 / 1. Token issuance is measured on the one tenant, and spread round-robin over every tenant (the
 * gateway's service client, which exists in each) once every tenant has been asked once (active tenants).
 */
export async function tenantsScale(context: ScenarioContext): Promise<BenchRow[]> {
  const platform = context.platform;
  if (!platform) return [];
  const target = await startChildTarget(bareServer, [String(platform.upstreams.json.port), 'json']);
  const slugs = [platform.tenant, 'demo'];
  const total = context.quick ? 50 : 1_000;
  try {
    const { accessToken } = await platform.userTokens(platform.serverResource(platform.upstreams.json.name));
    const mcpUrl = `${platform.gatewayUrl}/t/${platform.tenant}/servers/${platform.upstreams.json.name}/mcp`;
    const measureAll = async () => {
      const oneTenant = await measureTokenGrant(
        {
          tokenUrl: `${platform.authUrl}/t/${platform.tenant}/token`,
          client: platform.serviceClient,
          form: { grant_type: 'client_credentials', scope: 'mcp', resource: aggregatedMcpUrl(platform.gatewayUrl, platform.tenant) },
          concurrency: TOKEN_CONCURRENCY,
        },
        context,
      );
      let next = 0;
      const pick: string[] = [];
      const spread = await measureTokenGrant(
        {
          // measureTokenGrant asks for the client first, then the URL: the client picks the tenant.
          client: (worker) => {
            const slug = slugs[next++ % slugs.length]!;
            pick[worker] = slug;
            return { clientId: ServiceClients.gateway, clientSecret: deriveServiceClientSecret(platform.masterKey, ServiceClients.gateway, slug) };
          },
          tokenUrl: (worker) => `${platform.authUrl}/t/${pick[worker]!}/token`,
          form: { grant_type: 'client_credentials', resource: sessionStoreAudience(platform.sessionStoreUrl) },
          concurrency: TOKEN_CONCURRENCY,
          // Steady state of N active tenants: each has been asked once before the rounds (its provider built).
          warmupOperations: slugs.length,
        },
        context,
      );
      // Every tenant's provider was built by now (round-robin): what the auth server holds for them.
      const authRssMiB = (await platform.auth.sample()).rssBytes / 2 ** 20;
      const mcp = await measureToolsCall(mcpUrl, context, async () => ({}), { sessions: MCP_SESSIONS, headers: { authorization: `Bearer ${accessToken}` } });
      return { oneTenant, spread, mcp, authRssMiB };
    };

    const before = await measureAll();
    const beforeCount = slugs.length;
    const started = performance.now();
    let created = 0;
    await Promise.all(
      Array.from({ length: CREATE_CONCURRENCY }, async () => {
        while (slugs.length < total) {
          const slug = `bench-t${slugs.length}-${randomBytes(3).toString('hex')}`;
          slugs.push(slug);
          const response = await platform.admin('POST', '/tenants', { slug, displayName: `Bench tenant ${slug}` });
          if (response.status !== 201) throw new Error(`creating tenant ${slug}: ${response.status} ${JSON.stringify(response.json)}`);
          created += 1;
        }
      }),
    );
    const createMs = (performance.now() - started) / created;
    const after = await measureAll();

    const scenario = `${total} tenants configured vs 1 (through the admin API, ${createMs.toFixed(0)} ms per tenant)${context.quick ? ' (quick: 50 tenants)' : ''}`;
    const row = (what: string, a: typeof before.mcp | typeof before.oneTenant, b: typeof before.mcp | typeof before.oneTenant, memory = false): BenchRow[] => [
      {
        scenario,
        variant: `${what}, ${beforeCount} tenants`,
        baseline: '(baseline)',
        throughput: a.throughput,
        p50: a.p50,
        p99: a.p99,
        ratio: null,
        extra: { errors: a.errors, ...(memory ? { authServerRssMiB: before.authRssMiB } : {}) },
      },
      {
        scenario,
        variant: `${what}, ${total} tenants`,
        baseline: `${what}, ${beforeCount} tenants`,
        throughput: b.throughput,
        p50: b.p50,
        p99: b.p99,
        ratio: b.p50 / a.p50,
        ratioOf: 'p50 over baseline p50',
        extra: {
          p99Ratio: b.p99 / a.p99,
          throughputRatio: b.throughput / a.throughput,
          errors: b.errors,
          ...(memory
            ? {
                // The pass that first asked each tenant (built its provider), per request at 16 concurrent.
                firstPassMsPerTenant: after.spread.warmupMsPerOperation,
                authServerRssMiB: after.authRssMiB,
                authServerRssKiBPerAddedTenant: ((after.authRssMiB - before.authRssMiB) * 1024) / (total - beforeCount),
              }
            : {}),
        },
      },
    ];
    return [
      ...row('client_credentials on the bench tenant', before.oneTenant, after.oneTenant),
      ...row('client_credentials round-robin over every tenant', before.spread, after.spread, true),
      ...row(`tools/call through the gateway, ${MCP_SESSIONS} sessions`, before.mcp, after.mcp),
    ];
  } finally {
    await target.stop();
  }
}
