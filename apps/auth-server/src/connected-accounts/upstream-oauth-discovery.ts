import type { OAuthUserSecrets, UpstreamOAuthClient } from '@airlock/contracts';

// How Airlock becomes an OAuth client of an `oauth_user` upstream's authorization server, the MCP way:
// RFC 9728 protected resource metadata (from the upstream's 401 `WWW-Authenticate: ... resource_metadata=`,
// else its well-known URL), RFC 8414 authorization server metadata (OpenID discovery as a fallback), then a
// client: the admin's pre-registered one, else RFC 7591 dynamic registration when the server offers it.
// Every request goes through `fetchImpl`, the operator's egress policy.

export class UpstreamDiscoveryError extends Error {}

const TIMEOUT_MS = 10_000;
const MAX_BODY = 256 * 1024;

interface Options {
  fetchImpl: typeof fetch;
  /** Plain-http authorization servers only outside production. */
  allowHttp: boolean;
}

async function readJson(response: Response): Promise<Record<string, unknown> | undefined> {
  const text = await response.text().catch(() => '');
  if (text.length > MAX_BODY) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

async function getJson(options: Options, url: string): Promise<Record<string, unknown> | undefined> {
  try {
    const response = await options.fetchImpl(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) {
      await response.arrayBuffer().catch(() => undefined);
      return undefined;
    }
    return await readJson(response);
  } catch {
    return undefined;
  }
}

/** `resource_metadata` of a Bearer challenge (RFC 9728 section 5.1), if any. */
export function resourceMetadataOf(wwwAuthenticate: string | null): string | undefined {
  if (!wwwAuthenticate) return undefined;
  const match = /resource_metadata\s*=\s*(?:"([^"]*)"|([^\s,]+))/i.exec(wwwAuthenticate);
  return match ? (match[1] ?? match[2]) : undefined;
}

/** The well-known URLs of a resource's metadata: path-inserted first, then the origin's (RFC 9728 section 3.1, MCP). */
export function protectedResourceMetadataUrls(resource: string): string[] {
  const url = new URL(resource);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  const urls = [`${url.origin}/.well-known/oauth-protected-resource${path}`];
  if (path) urls.push(`${url.origin}/.well-known/oauth-protected-resource`);
  return urls;
}

/** RFC 8414 section 3.1 (path inserted), then OpenID Connect discovery both ways. */
export function authorizationServerMetadataUrls(issuer: string): string[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
    `${url.origin}/.well-known/openid-configuration${path}`,
    ...(path ? [`${url.origin}${path}/.well-known/openid-configuration`] : []),
  ];
}

/** The upstream's protected resource metadata: from the challenge of an unauthenticated request, else the well-known URLs. */
async function protectedResourceMetadata(options: Options, resource: string): Promise<Record<string, unknown>> {
  const candidates: string[] = [];
  try {
    // An MCP request without a token: the upstream answers 401 naming its metadata.
    const response = await options.fetchImpl(resource, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'airlock', version: '1' } } }),
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.arrayBuffer().catch(() => undefined);
    const named = response.status === 401 ? resourceMetadataOf(response.headers.get('www-authenticate')) : undefined;
    if (named) candidates.push(new URL(named, resource).href);
  } catch {
    // Unreachable for the probe: the well-known URLs may still answer.
  }
  candidates.push(...protectedResourceMetadataUrls(resource));
  for (const candidate of candidates) {
    const metadata = await getJson(options, candidate);
    if (!metadata || !Array.isArray(metadata['authorization_servers'])) continue;
    // RFC 9728 section 3.3: the metadata must be about this resource.
    const named = typeof metadata['resource'] === 'string' ? metadata['resource'] : undefined;
    if (named !== undefined && named.replace(/\/$/, '') !== resource.replace(/\/$/, '')) throw new UpstreamDiscoveryError(`the protected resource metadata is for ${named}, not ${resource}`);
    return metadata;
  }
  throw new UpstreamDiscoveryError('the upstream publishes no protected resource metadata');
}

async function authorizationServerMetadata(options: Options, issuer: string): Promise<Record<string, unknown>> {
  for (const url of authorizationServerMetadataUrls(issuer)) {
    const metadata = await getJson(options, url);
    if (!metadata) continue;
    // RFC 8414 section 3.3: the issuer in the document must be the one it was fetched for.
    if (metadata['issuer'] !== issuer) throw new UpstreamDiscoveryError(`the authorization server metadata names issuer ${String(metadata['issuer'])}, not ${issuer}`);
    return metadata;
  }
  throw new UpstreamDiscoveryError(`no authorization server metadata for ${issuer}`);
}

function endpoint(options: Options, metadata: Record<string, unknown>, name: string, required: true): string;
function endpoint(options: Options, metadata: Record<string, unknown>, name: string, required: false): string | undefined;
function endpoint(options: Options, metadata: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const value = metadata[name];
  if (typeof value !== 'string') {
    if (required) throw new UpstreamDiscoveryError(`the authorization server metadata has no ${name}`);
    return undefined;
  }
  const url = new URL(value);
  if (url.protocol !== 'https:' && !(options.allowHttp && url.protocol === 'http:')) throw new UpstreamDiscoveryError(`${name} must be https`);
  return url.href;
}

const strings = (value: unknown): string[] | undefined => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : undefined);

/**
 * Discovers the upstream's authorization server and makes a client there for `redirectUri`: the admin's
 * pre-registered client when configured, else a dynamic registration (RFC 7591).
 */
export async function discoverUpstreamClient(
  options: Options,
  resource: string,
  preRegistered: OAuthUserSecrets['oauthClient'] | undefined,
  redirectUri: string,
  clientName: string,
): Promise<UpstreamOAuthClient> {
  let issuer = preRegistered?.authorizationServer;
  let resourceScopes: string[] | undefined;
  if (!issuer) {
    const metadata = await protectedResourceMetadata(options, resource);
    issuer = strings(metadata['authorization_servers'])?.[0];
    resourceScopes = strings(metadata['scopes_supported']);
    if (!issuer) throw new UpstreamDiscoveryError('the protected resource metadata names no authorization server');
  } else if (!preRegistered?.scope) {
    // The admin named the authorization server but no scope: the resource's metadata still says which (best effort).
    resourceScopes = await protectedResourceMetadata(options, resource).then((metadata) => strings(metadata['scopes_supported']), () => undefined);
  }
  const as = await authorizationServerMetadata(options, issuer);
  const challenge = strings(as['code_challenge_methods_supported']);
  // MCP authorization: no PKCE S256 advertised means no PKCE we can rely on.
  if (!challenge?.includes('S256')) throw new UpstreamDiscoveryError('the authorization server does not advertise PKCE S256');
  const authMethods = strings(as['token_endpoint_auth_methods_supported']) ?? ['client_secret_basic'];
  const base = {
    resource,
    issuer,
    authorizationEndpoint: endpoint(options, as, 'authorization_endpoint', true),
    tokenEndpoint: endpoint(options, as, 'token_endpoint', true),
    ...(endpoint(options, as, 'revocation_endpoint', false) ? { revocationEndpoint: endpoint(options, as, 'revocation_endpoint', false)! } : {}),
    issParameterSupported: as['authorization_response_iss_parameter_supported'] === true,
    redirectUri,
  };
  const scope = preRegistered?.scope ?? resourceScopes?.join(' ');
  if (preRegistered) {
    const method = preRegistered.clientSecret === undefined ? 'none' : authMethods.includes('client_secret_basic') ? 'client_secret_basic' : 'client_secret_post';
    return {
      ...base,
      ...(scope ? { scope } : {}),
      clientId: preRegistered.clientId,
      ...(preRegistered.clientSecret !== undefined ? { clientSecret: preRegistered.clientSecret } : {}),
      tokenEndpointAuthMethod: method,
      registration: 'pre-registered',
    };
  }
  const registrationEndpoint = endpoint(options, as, 'registration_endpoint', false);
  if (!registrationEndpoint) throw new UpstreamDiscoveryError('the authorization server offers no dynamic registration and no client is configured');
  const method = authMethods.includes('client_secret_basic') ? 'client_secret_basic' : authMethods.includes('client_secret_post') ? 'client_secret_post' : 'none';
  const response = await options.fetchImpl(registrationEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      client_name: clientName,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: method,
      // No `scope`: servers refuse scopes they do not know as client metadata; the authorization request names them.
    }),
    redirect: 'manual',
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const registered = await readJson(response);
  if (!response.ok || !registered || typeof registered['client_id'] !== 'string') {
    throw new UpstreamDiscoveryError(`dynamic registration refused (${typeof registered?.['error'] === 'string' ? registered['error'] : response.status})`);
  }
  const granted = typeof registered['token_endpoint_auth_method'] === 'string' ? registered['token_endpoint_auth_method'] : method;
  const secret = typeof registered['client_secret'] === 'string' ? registered['client_secret'] : undefined;
  return {
    ...base,
    ...(scope ? { scope } : {}),
    clientId: registered['client_id'],
    ...(secret !== undefined ? { clientSecret: secret } : {}),
    tokenEndpointAuthMethod: granted === 'client_secret_post' || granted === 'client_secret_basic' ? (secret === undefined ? 'none' : granted) : 'none',
    registration: 'dynamic',
  };
}
