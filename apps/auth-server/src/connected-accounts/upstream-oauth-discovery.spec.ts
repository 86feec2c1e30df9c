import { describe, expect, it } from 'vitest';
import { authorizationServerMetadataUrls, protectedResourceMetadataUrls, resourceMetadataOf } from './upstream-oauth-discovery.js';

describe('connected accounts discovery URLs', () => {
  it('reads resource_metadata from a Bearer challenge, quoted or not, among other parameters', () => {
    expect(resourceMetadataOf('Bearer resource_metadata="https://mcp.example/.well-known/oauth-protected-resource/mcp", scope="a b"')).toBe(
      'https://mcp.example/.well-known/oauth-protected-resource/mcp',
    );
    expect(resourceMetadataOf('Bearer error="invalid_token", resource_metadata=https://x.example/m')).toBe('https://x.example/m');
    expect(resourceMetadataOf('Bearer realm="x"')).toBeUndefined();
    expect(resourceMetadataOf(null)).toBeUndefined();
  });

  it('tries the path-inserted protected resource metadata first, then the origin (RFC 9728, MCP)', () => {
    expect(protectedResourceMetadataUrls('https://mcp.example/api/mcp')).toEqual([
      'https://mcp.example/.well-known/oauth-protected-resource/api/mcp',
      'https://mcp.example/.well-known/oauth-protected-resource',
    ]);
    expect(protectedResourceMetadataUrls('https://mcp.example/')).toEqual(['https://mcp.example/.well-known/oauth-protected-resource']);
  });

  it('tries RFC 8414 path insertion, then OpenID discovery both ways', () => {
    expect(authorizationServerMetadataUrls('https://as.example/tenant1')).toEqual([
      'https://as.example/.well-known/oauth-authorization-server/tenant1',
      'https://as.example/.well-known/openid-configuration/tenant1',
      'https://as.example/tenant1/.well-known/openid-configuration',
    ]);
    expect(authorizationServerMetadataUrls('https://as.example')).toEqual([
      'https://as.example/.well-known/oauth-authorization-server',
      'https://as.example/.well-known/openid-configuration',
    ]);
  });
});
