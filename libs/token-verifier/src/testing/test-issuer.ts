import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { CryptoKey, JWK } from 'jose';
import { ACCESS_TOKEN_JWT_TYPE, issuerUrl } from '@airlock/contracts';

// A stand-in for the auth server in tests (an edge other services do not own): per-tenant signing keys
// published at `${issuer}/jwks`, tokens minted on demand, and a client_credentials token endpoint at
// `${issuer}/token` like oidc-provider's. Never used outside tests.

export type TestKeyAlg = 'ES256' | 'RS256' | 'PS256' | 'ES384';

interface TestKey {
  kid: string;
  alg: TestKeyAlg;
  privateKey: CryptoKey;
  publicJwk: JWK;
  published: boolean;
}

export interface MintOptions {
  audience: string | string[];
  subject?: string;
  clientId?: string;
  scope?: string;
  grantId?: string;
  expiresInSeconds?: number;
  /** Override claims or header fields to build invalid tokens. */
  issuer?: string;
  typ?: string;
  kid?: string;
  alg?: string;
  /** Sign with this tenant's key (cross-tenant test) while naming `tenant`'s issuer. */
  signingTenant?: string;
  extraClaims?: Record<string, unknown>;
}

export interface TestClient {
  clientId: string;
  secret: string;
  scopes: string[];
  subject?: string;
}

export interface TestIssuer {
  /** What services get as AUTH_PUBLIC_URL. */
  readonly baseUrl: string;
  issuer(tenant: string): string;
  /** Adds a key (published in the JWKS unless `published: false`) and makes it the tenant's signing key. */
  addKey(tenant: string, options?: { alg?: TestKeyAlg; kid?: string; published?: boolean }): Promise<string>;
  publishKey(tenant: string, kid: string): void;
  mint(tenant: string, options: MintOptions): Promise<string>;
  registerClient(tenant: string, client: TestClient): void;
  jwksFetches(tenant: string): number;
  tokenRequests(tenant: string): number;
  /** Answers every request with 503 while true. */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const keys = new Map<string, TestKey[]>();
  const signingKid = new Map<string, string>();
  const clients = new Map<string, TestClient>();
  const fetches = new Map<string, number>();
  const tokens = new Map<string, number>();
  let down = false;
  let baseUrl = '';

  const keyOf = (tenant: string, kid?: string): TestKey => {
    const wanted = kid ?? signingKid.get(tenant);
    const key = keys.get(tenant)?.find((candidate) => candidate.kid === wanted);
    if (!key) throw new Error(`test issuer: no key ${wanted ?? '(none)'} for tenant ${tenant}`);
    return key;
  };

  async function mint(tenant: string, options: MintOptions): Promise<string> {
    const key = keyOf(options.signingTenant ?? tenant, options.signingTenant ? undefined : options.kid);
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      client_id: options.clientId ?? 'test-client',
      ...(options.scope !== undefined ? { scope: options.scope } : {}),
      ...(options.grantId ? { grant_id: options.grantId } : {}),
      ...options.extraClaims,
    };
    return new SignJWT(claims)
      .setProtectedHeader({ alg: options.alg ?? key.alg, typ: options.typ ?? ACCESS_TOKEN_JWT_TYPE, kid: options.kid ?? key.kid })
      .setIssuer(options.issuer ?? issuerUrl(baseUrl, tenant))
      .setSubject(options.subject ?? 'user-1')
      .setAudience(options.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + (options.expiresInSeconds ?? 600))
      .setJti(randomUUID())
      .sign(key.privateKey);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(body));
    };
    if (down) return send(503, { error: 'temporarily_unavailable' });
    const url = new URL(req.url ?? '/', baseUrl);
    const match = /^\/t\/([a-z0-9-]+)\/(jwks|token)$/.exec(url.pathname);
    const tenant = match?.[1];
    if (match && tenant && match[2] === 'jwks') fetches.set(tenant, (fetches.get(tenant) ?? 0) + 1);
    if (!match || !tenant || !keys.has(tenant)) return send(404, { error: 'not_found' });
    if (match[2] === 'jwks') {
      return send(200, { keys: (keys.get(tenant) ?? []).filter((key) => key.published).map((key) => key.publicJwk) });
    }
    tokens.set(tenant, (tokens.get(tenant) ?? 0) + 1);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [id, secret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':').map(decodeURIComponent) : [form.get('client_id'), form.get('client_secret')];
    const client = clients.get(`${tenant}\u0000${id ?? ''}`);
    if (!client || client.secret !== secret) return send(401, { error: 'invalid_client' });
    if (form.get('grant_type') !== 'client_credentials') return send(400, { error: 'unsupported_grant_type' });
    const resource = form.get('resource');
    if (!resource) return send(400, { error: 'invalid_target' });
    const requested = (form.get('scope') ?? '').split(' ').filter(Boolean);
    if (requested.some((scope) => !client.scopes.includes(scope))) return send(400, { error: 'invalid_scope' });
    const expiresIn = 600;
    const accessToken = await mint(tenant, {
      audience: resource,
      subject: client.subject ?? client.clientId,
      clientId: client.clientId,
      scope: (requested.length > 0 ? requested : client.scopes).join(' '),
      expiresInSeconds: expiresIn,
    });
    return send(200, { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, scope: requested.join(' ') });
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    baseUrl,
    issuer: (tenant) => issuerUrl(baseUrl, tenant),
    async addKey(tenant, options = {}) {
      const alg = options.alg ?? 'ES256';
      const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
      const kid = options.kid ?? randomUUID();
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
      const list = keys.get(tenant) ?? [];
      list.push({ kid, alg, privateKey, publicJwk, published: options.published ?? true });
      keys.set(tenant, list);
      signingKid.set(tenant, kid);
      return kid;
    },
    publishKey(tenant, kid) {
      keyOf(tenant, kid).published = true;
    },
    mint,
    registerClient(tenant, client) {
      clients.set(`${tenant}\u0000${client.clientId}`, client);
    },
    jwksFetches: (tenant) => fetches.get(tenant) ?? 0,
    tokenRequests: (tenant) => tokens.get(tenant) ?? 0,
    setDown(value) {
      down = value;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
