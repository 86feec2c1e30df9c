import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { sealClientMetadata } from '../../src/adapter/client-store.js';
import { postForm, type AuthServerHarness } from './auth-server-harness.js';

// Principals of the `admin` tenant for role tests: automation clients (client_credentials) and the admin
// API called as any of them.

export const BOOTSTRAP_ADMIN = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };

export interface AdminApiAnswer {
  status: number;
  text: string;
  json: Record<string, unknown> & { items?: Array<Record<string, unknown>> };
}

export async function adminApi(server: AuthServerHarness, bearer: string, method: string, path: string, body?: unknown): Promise<AdminApiAnswer> {
  const headers: Record<string, string> = { authorization: `Bearer ${bearer}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}/admin/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  let json: AdminApiAnswer['json'] = {};
  try {
    json = text ? (JSON.parse(text) as AdminApiAnswer['json']) : {};
  } catch {
    json = { raw: text };
  }
  return { status: response.status, text, json };
}

/** An admin API token by client_credentials (the admin API is the admin tenant's only resource). */
export async function clientCredentialsToken(server: AuthServerHarness, client: { id: string; secret: string }): Promise<string> {
  const issued = await postForm(`${server.url}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, client);
  expect(issued.status, JSON.stringify(issued.json)).toBe(200);
  return String(issued.json['access_token']);
}

/** A confidential client_credentials client of the `admin` tenant, as an operator's automation would hold. */
export async function createAdminTenantClient(server: AuthServerHarness, clientId: string): Promise<{ id: string; secret: string }> {
  const admin = await server.tenant('admin');
  const secret = randomBytes(24).toString('base64url');
  const metadata = {
    client_id: clientId,
    client_secret: secret,
    client_id_issued_at: Math.floor(Date.now() / 1000),
    grant_types: ['client_credentials'],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_basic',
  };
  await server.infra.pg.query(`INSERT INTO oauth_clients (tenant_id, client_id, kind, metadata, updated_at) VALUES ($1, $2, 'admin', $3, now())`, [
    admin.id,
    clientId,
    JSON.stringify(sealClientMetadata(server.infra.masterKey, admin.id, clientId, metadata)),
  ]);
  return { id: clientId, secret };
}
