import { describe, expect, it } from 'vitest';
import { aggregatedMcpUrl, issuerUrl, serverMcpUrl, wellKnownUrl } from './urls.js';

describe('public URLs', () => {
  it('builds issuer and resource URLs without double slashes', () => {
    expect(issuerUrl('https://auth.example.com/', 'acme')).toBe('https://auth.example.com/t/acme');
    expect(aggregatedMcpUrl('https://mcp.example.com', 'acme')).toBe('https://mcp.example.com/t/acme/mcp');
    expect(serverMcpUrl('https://mcp.example.com', 'acme', 'github')).toBe('https://mcp.example.com/t/acme/servers/github/mcp');
  });

  it('inserts the well-known segment between host and path', () => {
    expect(wellKnownUrl('https://mcp.example.com/t/acme/mcp', 'oauth-protected-resource')).toBe(
      'https://mcp.example.com/.well-known/oauth-protected-resource/t/acme/mcp',
    );
    expect(wellKnownUrl('https://auth.example.com', 'oauth-authorization-server')).toBe('https://auth.example.com/.well-known/oauth-authorization-server');
  });
});
