import { describe, expect, it } from 'vitest';
import { createUpstreamServerRequestSchema } from './admin.js';
import { upstreamSecretContext, upstreamSecretsSchema } from './upstream-secrets.js';

describe('upstream secrets', () => {
  it('binds the sealing context to the tenant id and server name', () => {
    expect(upstreamSecretContext('2f0c', 'github')).toBe('upstream:2f0c:github');
  });

  it('accepts the three shapes and nothing else', () => {
    expect(upstreamSecretsSchema.safeParse({ header: { name: 'x-api-key', value: 'k' } }).success).toBe(true);
    expect(upstreamSecretsSchema.safeParse({ tokenUrl: 'https://as.example/token', clientId: 'c', clientSecret: 's', scope: 'read' }).success).toBe(true);
    expect(upstreamSecretsSchema.safeParse({ env: { API_KEY: 'k' } }).success).toBe(true);
    for (const bad of [
      {},
      { header: { name: 'bad name', value: 'v' } },
      { header: { name: 'x', value: 'a\r\nInjected: 1' } },
      { tokenUrl: 'ftp://as.example/token', clientId: 'c', clientSecret: 's' },
      { tokenUrl: 'https://as.example/token', clientId: 'c' },
      { env: { 'NOT-A-NAME': 'v' } },
      { env: { A: 1 } },
      { header: { name: 'x', value: 'v' }, extra: true },
    ]) {
      expect(upstreamSecretsSchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('requires the shape that fits the transport and credential kind when a server is created', () => {
    const http = { name: 'web', transport: 'http', url: 'https://mcp.example/mcp' } as const;
    expect(createUpstreamServerRequestSchema.safeParse({ ...http, credentialKind: 'static_header', secrets: { header: { name: 'x', value: 'v' } } }).success).toBe(true);
    expect(createUpstreamServerRequestSchema.safeParse({ ...http, credentialKind: 'static_header', secrets: { env: { A: 'b' } } }).success).toBe(false);
    expect(createUpstreamServerRequestSchema.safeParse({ ...http, credentialKind: 'client_credentials', secrets: { header: { name: 'x', value: 'v' } } }).success).toBe(false);
    expect(createUpstreamServerRequestSchema.safeParse({ ...http, secrets: { header: { name: 'x', value: 'v' } } }).success).toBe(false);
    expect(createUpstreamServerRequestSchema.safeParse({ name: 'local', transport: 'stdio', command: 'node', secrets: { env: { A: 'b' } } }).success).toBe(true);
    expect(createUpstreamServerRequestSchema.safeParse({ name: 'local', transport: 'stdio', command: 'node', secrets: { header: { name: 'x', value: 'v' } } }).success).toBe(false);
  });
});
