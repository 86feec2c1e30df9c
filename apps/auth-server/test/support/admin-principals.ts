import { expect } from 'vitest';
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

/** An automation client of the `admin` tenant (POST /admin-clients as the platform admin `bearer`). */
export async function createAdminTenantClient(server: AuthServerHarness, bearer: string, name: string): Promise<{ id: string; secret: string }> {
  const created = await adminApi(server, bearer, 'POST', '/admin-clients', { client_name: name });
  expect(created.status, created.text).toBe(201);
  return { id: String(created.json['client_id']), secret: String(created.json['client_secret']) };
}
