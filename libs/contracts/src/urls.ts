// Where every public thing lives. Services build URLs only through these, so the issuer a token names,
// the audience a resource expects and the metadata a client discovers can never drift apart.

const trim = (base: string) => base.replace(/\/+$/, '');

/** The tenant's OAuth issuer: `${AUTH_PUBLIC_URL}/t/<tenant>`. */
export function issuerUrl(authPublicUrl: string, tenant: string): string {
  return `${trim(authPublicUrl)}/t/${tenant}`;
}

/** The tenant's aggregated MCP endpoint, which is also its resource identifier (RFC 8707 audience). */
export function aggregatedMcpUrl(gatewayPublicUrl: string, tenant: string): string {
  return `${trim(gatewayPublicUrl)}/t/${tenant}/mcp`;
}

/** One hosted server's MCP endpoint and resource identifier. */
export function serverMcpUrl(gatewayPublicUrl: string, tenant: string, server: string): string {
  return `${trim(gatewayPublicUrl)}/t/${tenant}/servers/${server}/mcp`;
}

/** The session store's resource identifier (the audience of the tokens its callers present). */
export function sessionStoreAudience(sessionStoreUrl: string): string {
  return `${trim(sessionStoreUrl)}/v1`;
}

/**
 * RFC 9728 / RFC 8414 well-known URL with the well-known segment inserted between host and path:
 * `https://h/t/acme/mcp` → `https://h/.well-known/oauth-protected-resource/t/acme/mcp`.
 */
export function wellKnownUrl(resourceOrIssuer: string, suffix: 'oauth-protected-resource' | 'oauth-authorization-server' | 'openid-configuration'): string {
  const url = new URL(resourceOrIssuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/+$/, '');
  return `${url.origin}/.well-known/${suffix}${path}`;
}
