import { createLocalJWKSet, jwtVerify } from 'jose';
import { aggregatedMcpUrl } from '@airlock/contracts';
import { createMemoryHotStore } from '@airlock/redis';
import { createAccessTokenVerifier } from '@airlock/token-verifier';
import { startTestIssuer } from '@airlock/token-verifier/testing';
import type { BenchRow } from '../harness/report.js';
import { closedLoop, median } from '../harness/stats.js';
import type { ScenarioContext } from './scenario.js';

/**
 * Scenario 2b: access-token verification per second at the gateway (the verifier every MCP request
 * goes through: cached JWKS, exact iss/aud/typ, claims schema, revoked-grant check) vs a bare jose
 * `jwtVerify` against a local key set, in this process, one core.
 */
export async function jwtVerification(context: ScenarioContext): Promise<BenchRow[]> {
  const issuer = await startTestIssuer();
  const hot = createMemoryHotStore();
  const tenant = 'bench';
  const audience = aggregatedMcpUrl('http://127.0.0.1:3001', tenant);
  await issuer.addKey(tenant, { alg: 'ES256' });
  const token = await issuer.mint(tenant, { audience, scope: 'mcp', grantId: 'bench-grant', expiresInSeconds: 3600 });
  const jwks = createLocalJWKSet((await (await fetch(`${issuer.issuer(tenant)}/jwks`)).json()) as { keys: [] });
  const verifier = createAccessTokenVerifier({ issuerBaseUrl: issuer.baseUrl, hot });
  await verifier.verify(token, { tenant, audience });

  const bareOptions = { issuer: issuer.issuer(tenant), audience, typ: 'at+jwt', algorithms: ['ES256'] };
  const measure = async (operation: () => Promise<unknown>) => {
    await closedLoop({ concurrency: 1, durationMs: context.warmupMs, operation: async () => void (await operation()) });
    const rounds = [];
    for (let round = 0; round < context.rounds; round++) rounds.push(await closedLoop({ concurrency: 1, durationMs: context.roundMs, operation: async () => void (await operation()) }));
    return {
      throughput: median(rounds.map((r) => r.throughput)),
      p50: median(rounds.map((r) => r.latency.p50)),
      p99: median(rounds.map((r) => r.latency.p99)),
    };
  };
  try {
    const bare = await measure(() => jwtVerify(token, jwks, bareOptions));
    const airlock = await measure(() => verifier.verify(token, { tenant, audience }));
    return [
      { scenario: 'JWT verification, ES256, one core', variant: 'bare jose jwtVerify, local key set', baseline: '(baseline)', ...bare, ratio: null },
      {
        scenario: 'JWT verification, ES256, one core',
        variant: 'gateway verifier (JWKS cache, claims, revocation)',
        baseline: 'bare jose jwtVerify, local key set',
        ...airlock,
        ratio: airlock.throughput / bare.throughput,
        ratioOf: 'throughput',
      },
    ];
  } finally {
    await verifier.close();
    await hot.close();
    await issuer.close();
  }
}
