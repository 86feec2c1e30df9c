import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { BENCH_CLIENT, BENCH_RESOURCE } from './bare-oidc-provider.constants.js';
import { serveCpuReports } from './cpu-report.js';

// The token-endpoint baseline: a bare oidc-provider with its in-memory adapter, the same key algorithm
// (ES256) and the same token shape (JWT access tokens bound to one resource) as Airlock issues.
// argv: <port>


const port = Number(process.argv[2] ?? 0);
const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'bench' };

// The in-memory adapter and dev interactions warnings are expected: this is the baseline, not a deployment.
const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [
    {
      client_id: BENCH_CLIENT.clientId,
      client_secret: BENCH_CLIENT.clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ['mcp'],
  features: {
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => BENCH_RESOURCE,
      getResourceServerInfo: () => ({ scope: 'mcp', audience: BENCH_RESOURCE, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } }),
    },
  },
});
provider.on('server_error', (_ctx: unknown, error: Error) => process.stderr.write(`bare oidc-provider: ${error.message}\n`));

const http = createServer(provider.callback());
http.listen(port, '127.0.0.1', () => {
  const address = http.address();
  serveCpuReports({ port: typeof address === 'object' && address ? address.port : port, sessions: () => 0 });
});
