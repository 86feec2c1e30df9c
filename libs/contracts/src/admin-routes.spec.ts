import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { adminOpenApiDocument } from './admin-openapi.js';
import { adminRoutes, adminRouteUrl, defineAdminRoute } from './admin-routes.js';

const options = { serverUrl: 'https://auth.example', tokenUrl: 'https://auth.example/t/admin/token' };
const base = { operationId: 'probe', tag: 'test', summary: 'Probe' } as const;

describe('admin route table', () => {
  it('refuses a route whose path parameters and params differ, a 204 with a body schema, a GET with a body', () => {
    expect(() => defineAdminRoute({ ...base, method: 'GET', path: '/things/{thing}', status: 200, response: z.object({}) })).toThrow('path parameters [thing] but params []');
    expect(() => defineAdminRoute({ ...base, method: 'GET', path: '/things', params: z.object({ thing: z.string() }), status: 200, response: z.object({}) })).toThrow('path parameters [] but params [thing]');
    expect(() => defineAdminRoute({ ...base, method: 'DELETE', path: '/things', status: 204, response: z.object({}) })).toThrow('status is not 204');
    expect(() => defineAdminRoute({ ...base, method: 'POST', path: '/things', status: 201 })).toThrow('status is not 204');
    expect(() => defineAdminRoute({ ...base, method: 'GET', path: '/things', body: z.object({}), status: 200, response: z.object({}) })).toThrow('a GET takes no body');
  });

  it('spells paths for Fastify with the prefix', () => {
    expect(adminRouteUrl(adminRoutes.setToolScopes)).toBe('/admin/v1/tenants/:tenant/servers/:name/tools/:tool');
  });

  it('generates one operation per route, and refuses two routes on one method and path', () => {
    const document = adminOpenApiDocument(options);
    const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
    expect(operations).toHaveLength(Object.keys(adminRoutes).length);
    const twin = defineAdminRoute({ ...base, method: 'GET', path: '/tenants', status: 200, response: z.object({}) });
    expect(() => adminOpenApiDocument({ ...options, routes: { ...adminRoutes, twin } })).toThrow('GET /admin/v1/tenants is defined twice');
  });

  it('documents a body that may be left out as optional, and defaulted fields as optional to send', () => {
    const document = adminOpenApiDocument(options);
    expect(document.paths['/admin/v1/tenants/{tenant}/keys/rotate']?.['post']?.['requestBody']).toMatchObject({ required: false });
    expect(document.paths['/admin/v1/tenants']?.['post']?.['requestBody']).toMatchObject({ required: true });
    expect(document.components.schemas['CreateTenantRequest']?.['required']).toEqual(['slug', 'displayName']);
  });
});
