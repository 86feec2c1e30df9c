import { createServer } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { BENCH_CLIENT, BENCH_PUBLIC_CLIENT, BENCH_RESOURCE } from './bare-oidc-provider.constants.js';
import { serveCpuReports } from './cpu-report.js';

// The token-endpoint baseline: a bare oidc-provider with its in-memory adapter, the same key algorithm
// (ES256) and the same token shape (JWT access tokens bound to one resource) as Airlock issues.
// argv: <port>. IPC `{ type: 'refresh-tokens', count }` answers `{ type: 'refresh-tokens', tokens }`: refresh
// tokens minted in process through the provider's own Grant and RefreshToken models, as a finished
// authorization code flow would leave them (there is no login UI to drive here).

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
    {
      client_id: BENCH_PUBLIC_CLIENT.clientId,
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [BENCH_PUBLIC_CLIENT.redirectUri],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  jwks: { keys: [jwk] },
  scopes: ['mcp'],
  // As Airlock's auth server does: refresh tokens for clients allowed the grant, without offline_access.
  issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.kind === 'AuthorizationCode',
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

async function mintRefreshToken(): Promise<string> {
  const accountId = 'bench-user';
  const grant = new provider.Grant({ accountId, clientId: BENCH_PUBLIC_CLIENT.clientId });
  grant.addResourceScope(BENCH_RESOURCE, 'mcp');
  const grantId = await grant.save();
  const client = await provider.Client.find(BENCH_PUBLIC_CLIENT.clientId);
  if (!client) throw new Error('the public bench client is missing');
  const token = new provider.RefreshToken({
    client,
    accountId,
    grantId,
    gty: 'authorization_code',
    scope: 'mcp',
    resource: BENCH_RESOURCE,
    iiat: Math.floor(Date.now() / 1000),
    expiresWithSession: false,
  });
  return token.save();
}

process.on('message', (message: { type?: string; count?: number }) => {
  if (message?.type !== 'refresh-tokens') return;
  void Promise.all(Array.from({ length: message.count ?? 1 }, mintRefreshToken)).then((tokens) => process.send?.({ type: 'refresh-tokens', tokens }));
});

const http = createServer(provider.callback());
http.listen(port, '127.0.0.1', () => {
  const address = http.address();
  serveCpuReports({ port: typeof address === 'object' && address ? address.port : port, sessions: () => 0 });
});
