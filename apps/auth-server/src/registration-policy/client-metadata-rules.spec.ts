import { describe, expect, it } from 'vitest';
import { clientMetadataProblem, MAX_CLIENT_METADATA_BYTES } from './client-metadata-rules.js';
import { assertClientMetadataHygiene } from './registration-policy.service.js';
import { ClientMetadataError } from '../client-metadata/client-metadata-resolver.js';

const good = { client_name: 'Claude', redirect_uris: ['http://localhost:33418/callback'], token_endpoint_auth_method: 'none' };

describe('clientMetadataProblem', () => {
  it('accepts ordinary MCP client metadata, and clients without redirect URIs', () => {
    expect(clientMetadataProblem(good)).toBeUndefined();
    expect(clientMetadataProblem({ client_name: 'svc', grant_types: ['client_credentials'] })).toBeUndefined();
  });

  it('refuses bad redirect URIs with invalid_redirect_uri', () => {
    expect(clientMetadataProblem({ ...good, redirect_uris: ['javascript:alert(1)'] })?.error).toBe('invalid_redirect_uri');
    expect(clientMetadataProblem({ ...good, redirect_uris: ['https://a.example/cb#x'] })?.error).toBe('invalid_redirect_uri');
    expect(clientMetadataProblem({ ...good, redirect_uris: [] })?.error).toBe('invalid_redirect_uri');
  });

  it('refuses oversized metadata', () => {
    const problem = clientMetadataProblem({ ...good, extra: 'x'.repeat(MAX_CLIENT_METADATA_BYTES) });
    expect(problem).toEqual({ error: 'invalid_client_metadata', description: expect.stringContaining('bytes') });
  });

  it('refuses control characters and overlong names', () => {
    expect(clientMetadataProblem({ ...good, client_name: 'a\u0000b' })?.error).toBe('invalid_client_metadata');
    expect(clientMetadataProblem({ ...good, client_name: 'x'.repeat(201) })?.error).toBe('invalid_client_metadata');
    expect(clientMetadataProblem({ ...good, client_name: 42 })?.error).toBe('invalid_client_metadata');
  });

  it('wants https for informational URIs (http only on loopback)', () => {
    expect(clientMetadataProblem({ ...good, client_uri: 'http://evil.example' })?.error).toBe('invalid_client_metadata');
    expect(clientMetadataProblem({ ...good, logo_uri: 'javascript:alert(1)' })?.error).toBe('invalid_client_metadata');
    expect(clientMetadataProblem({ ...good, client_uri: 'https://app.example' })).toBeUndefined();
    expect(clientMetadataProblem({ ...good, client_uri: 'http://localhost:3000' })).toBeUndefined();
  });
});

describe('assertClientMetadataHygiene', () => {
  it('throws a ClientMetadataError with the OAuth error code', () => {
    expect(() => assertClientMetadataHygiene({ redirect_uris: ['file:///etc/passwd'] })).toThrow(ClientMetadataError);
    try {
      assertClientMetadataHygiene({ redirect_uris: ['file:///etc/passwd'] });
    } catch (error) {
      expect((error as ClientMetadataError).error).toBe('invalid_redirect_uri');
    }
  });
});
