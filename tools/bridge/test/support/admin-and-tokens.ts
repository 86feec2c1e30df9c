// What a test needs to drive the full stack as an operator and a machine client would: the admin API with
// the bootstrap admin client's token, a confidential client_credentials client made over that API, and a
// proxy that adds its bearer token for tools (the conformance CLI) that cannot send one.

export const BOOTSTRAP_ADMIN = { id: 'test-admin', secret: 'test-admin-secret-0123456789abcdef' };

export interface ApiAnswer {
  status: number;
  json: Record<string, unknown>;
}

async function postForm(url: string, form: Record<string, string>, basic: { id: string; secret: string }): Promise<ApiAnswer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(basic.id)}:${encodeURIComponent(basic.secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams(form),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

export interface AdminApi {
  call(method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  /** A client_credentials client of `tenant` and a token of it for `resource` (scope mcp). */
  machineToken(tenant: string, resource: string): Promise<string>;
}

export async function adminApi(authUrl: string): Promise<AdminApi> {
  const issued = await postForm(`${authUrl}/t/admin/token`, { grant_type: 'client_credentials', scope: 'admin' }, BOOTSTRAP_ADMIN);
  if (issued.status !== 200) throw new Error(`no admin token: ${JSON.stringify(issued.json)}`);
  const bearer = String(issued.json['access_token']);
  const call = async (method: string, path: string, body?: unknown): Promise<ApiAnswer> => {
    const headers: Record<string, string> = { authorization: `Bearer ${bearer}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${authUrl}/admin/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    const text = await response.text();
    return { status: response.status, json: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  return {
    call,
    async machineToken(tenant, resource) {
      const created = await call('POST', `/tenants/${tenant}/clients`, { client_name: 'era-test', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' });
      if (created.status !== 201) throw new Error(`no client: ${JSON.stringify(created.json)}`);
      const client = { id: String(created.json['client_id']), secret: String(created.json['client_secret']) };
      const token = await postForm(`${authUrl}/t/${tenant}/token`, { grant_type: 'client_credentials', resource, scope: 'mcp' }, client);
      if (token.status !== 200) throw new Error(`no token: ${JSON.stringify(token.json)}`);
      return String(token.json['access_token']);
    },
  };
}
