import { adminRoutes } from '@airlock/contracts';
import { describe, expect, it } from 'vitest';
import { prepareRequest } from './admin-api-client.js';
import { UsageError } from './admin-errors.js';
import { serverBody } from './commands/servers.js';

describe('prepareRequest', () => {
  it("fills the route table's path, encodes parameters, and keeps only the query that was given", () => {
    expect(prepareRequest(adminRoutes.updateClient, { params: { tenant: 'acme', clientId: 'a/b' }, body: { disabled: true } })).toEqual({
      path: '/admin/v1/tenants/acme/clients/a%2Fb',
      body: '{"disabled":true}',
    });
    expect(prepareRequest(adminRoutes.listTenants, { query: { limit: '5', cursor: undefined } }).path).toBe('/admin/v1/tenants?limit=5');
  });

  it("refuses what the route's schemas refuse, as a usage error naming the field", () => {
    const refused = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error;
      }
      return undefined;
    };
    const badParam = refused(() => prepareRequest(adminRoutes.listServers, { params: { tenant: 'Not OK' } }));
    expect(badParam).toBeInstanceOf(UsageError);
    expect((badParam as UsageError).description).toMatch(/^listServers: tenant: /);
    expect(refused(() => prepareRequest(adminRoutes.listTenants, { query: { limit: '500' } }))).toBeInstanceOf(UsageError);
    expect(refused(() => prepareRequest(adminRoutes.createTenant, { body: { slug: 'ok', displayName: 'Ok', extra: 1 } }))).toBeInstanceOf(UsageError);
  });
});

describe('serverBody', () => {
  it('builds a stdio body with sealed env (from K=V or from this environment) and the sandbox options', () => {
    const body = serverBody('files', { command: 'npx', arg: ['-y', 'server-files'], env: ['A=1', 'TOKEN'], 'no-sandbox': true, 'read-only-path': ['/opt/x'] }, { TOKEN: 't0k' });
    expect(body).toEqual({ name: 'files', transport: 'stdio', command: 'npx', args: ['-y', 'server-files'], secrets: { env: { A: '1', TOKEN: 't0k' } }, sandbox: false, readOnlyPaths: ['/opt/x'] });
    expect(prepareRequest(adminRoutes.createServer, { params: { tenant: 'acme' }, body }).path).toBe('/admin/v1/tenants/acme/servers');
  });

  it('builds an http body with a static header; refuses stdio options on an http server', () => {
    expect(serverBody('docs', { url: 'https://mcp.example.com/mcp', header: 'Authorization: Bearer x' }, {})).toEqual({
      name: 'docs',
      transport: 'http',
      url: 'https://mcp.example.com/mcp',
      credentialKind: 'static_header',
      secrets: { header: { name: 'Authorization', value: 'Bearer x' } },
    });
    expect(() => serverBody('docs', { url: 'https://mcp.example.com/mcp', env: ['A=1'] }, {})).toThrow(UsageError);
    expect(() => serverBody('docs', { env: ['MISSING'], command: 'x' }, {})).toThrow(/MISSING: not set/);
  });
});
