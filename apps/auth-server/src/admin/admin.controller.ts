import { Body, Controller, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  adminListQuerySchema,
  adminRoutes,
  createClientRequestSchema,
  createInitialAccessTokenRequestSchema,
  createTenantRequestSchema,
  createUpstreamServerRequestSchema,
  createUserRequestSchema,
  putToolsRequestSchema,
  rotateKeysRequestSchema,
  setRegistrationPolicyRequestSchema,
  setToolScopesRequestSchema,
  updateClientRequestSchema,
  updateTenantRequestSchema,
  updateUpstreamServerRequestSchema,
  updateUserRequestSchema,
} from '@airlock/contracts';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { AdminAudit } from './admin-audit.service.js';
import { visibleTenants } from './admin-access.js';
import { CurrentAdmin, type AdminCaller } from './admin-caller.js';
import { AdminRoute } from './admin-route.decorator.js';
import { parse } from './admin.errors.js';
import { AdminService } from './admin.service.js';

/**
 * `/admin/v1`: tenants, their registration policy, signing keys, users, pre-registered clients, and the
 * upstream servers with each tool's required scopes (the gateway's catalogue). Bearer tokens from the
 * `admin` tenant with scope `admin`; bodies validated by the contracts' zod schemas; lists paginated
 * (`?limit=&cursor=` -> `{ items, nextCursor }`); every change audit-logged. Each handler's method, path and
 * status come from its entry of `adminRoutes` (@airlock/contracts), whose schemas it validates with and
 * from which the OpenAPI document is generated.
 */
@Controller()
export class AdminController {
  constructor(
    private readonly admin: AdminService,
    private readonly audit: AdminAudit,
  ) {}

  // Tenants ------------------------------------------------------------------------------------------

  @AdminRoute(adminRoutes.listTenants)
  async listTenants(@Query() query: unknown, @CurrentAdmin() caller: AdminCaller) {
    const { limit, cursor } = parse(adminListQuerySchema, query);
    return this.admin.listTenants(limit, cursor, visibleTenants(caller));
  }

  @AdminRoute(adminRoutes.createTenant)
  async createTenant(@Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const created = await this.admin.createTenant(parse(createTenantRequestSchema, body));
    await this.audit.record(caller, created.slug, 'admin.tenant.create', created.slug, { registrationPolicy: created.registrationPolicy });
    return created;
  }

  @AdminRoute(adminRoutes.getTenant)
  async getTenant(@Param('tenant') tenant: string, @CurrentAdmin() caller: AdminCaller) {
    return this.admin.getTenant(tenant);
  }

  @AdminRoute(adminRoutes.updateTenant)
  async updateTenant(@Param('tenant') tenant: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const patch = parse(updateTenantRequestSchema, body);
    const updated = await this.admin.updateTenant(tenant, patch);
    await this.audit.record(caller, tenant, 'admin.tenant.update', tenant, { changed: Object.keys(patch) });
    return updated;
  }

  @AdminRoute(adminRoutes.deleteTenant)
  async deleteTenant(@Param('tenant') tenant: string, @CurrentAdmin() caller: AdminCaller): Promise<void> {
    await this.admin.deleteTenant(tenant);
    // The tenant's own audit trail went with it; the platform tenant keeps the record.
    await this.audit.record(caller, ADMIN_TENANT_SLUG, 'admin.tenant.delete', tenant);
  }

  @AdminRoute(adminRoutes.setRegistrationPolicy)
  async setRegistrationPolicy(@Param('tenant') tenant: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const { policy } = parse(setRegistrationPolicyRequestSchema, body);
    const updated = await this.admin.setRegistrationPolicy(tenant, policy);
    await this.audit.record(caller, tenant, 'admin.tenant.registration_policy', tenant, { policy });
    return { policy: updated.registrationPolicy };
  }

  @AdminRoute(adminRoutes.createInitialAccessToken)
  async createInitialAccessToken(@Param('tenant') tenant: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const { expiresIn } = parse(createInitialAccessTokenRequestSchema, body);
    const created = await this.admin.createInitialAccessToken(tenant, expiresIn);
    await this.audit.record(caller, tenant, 'admin.initial_access_token.create', tenant, { expiresIn });
    return created;
  }

  // Keys ---------------------------------------------------------------------------------------------

  @AdminRoute(adminRoutes.listKeys)
  async listKeys(@Param('tenant') tenant: string, @CurrentAdmin() caller: AdminCaller) {
    return { items: await this.admin.listKeys(tenant) };
  }

  @AdminRoute(adminRoutes.rotateKeys)
  async rotateKeys(@Param('tenant') tenant: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    parse(rotateKeysRequestSchema, body);
    const keys = await this.admin.rotateKeys(tenant);
    await this.audit.record(caller, tenant, 'admin.keys.rotate', tenant, { active: keys.filter((key) => key.state === 'active').map((key) => key.kid) });
    return { items: keys };
  }

  // Users --------------------------------------------------------------------------------------------

  @AdminRoute(adminRoutes.listUsers)
  async listUsers(@Param('tenant') tenant: string, @Query() query: unknown, @CurrentAdmin() caller: AdminCaller) {
    const { limit, cursor } = parse(adminListQuerySchema, query);
    return this.admin.listUsers(tenant, limit, cursor);
  }

  @AdminRoute(adminRoutes.createUser)
  async createUser(@Param('tenant') tenant: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const user = await this.admin.createUser(tenant, parse(createUserRequestSchema, body));
    await this.audit.record(caller, tenant, 'admin.user.create', user.id);
    return user;
  }

  @AdminRoute(adminRoutes.getUser)
  async getUser(@Param('tenant') tenant: string, @Param('id') id: string, @CurrentAdmin() caller: AdminCaller) {
    return this.admin.getUser(tenant, id);
  }

  @AdminRoute(adminRoutes.updateUser)
  async updateUser(@Param('tenant') tenant: string, @Param('id') id: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const patch = parse(updateUserRequestSchema, body);
    const user = await this.admin.updateUser(tenant, id, patch);
    await this.audit.record(caller, tenant, 'admin.user.update', id, { changed: Object.keys(patch) });
    return user;
  }

  @AdminRoute(adminRoutes.deleteUser)
  async deleteUser(@Param('tenant') tenant: string, @Param('id') id: string, @CurrentAdmin() caller: AdminCaller): Promise<void> {
    await this.admin.deleteUser(tenant, id);
    await this.audit.record(caller, tenant, 'admin.user.delete', id);
  }

  // Clients ------------------------------------------------------------------------------------------

  @AdminRoute(adminRoutes.listClients)
  async listClients(@Param('tenant') tenant: string, @Query() query: unknown, @CurrentAdmin() caller: AdminCaller) {
    const { limit, cursor } = parse(adminListQuerySchema, query);
    return this.admin.listClients(tenant, limit, cursor);
  }

  @AdminRoute(adminRoutes.createClient)
  async createClient(@Param('tenant') tenant: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller, @Res({ passthrough: true }) reply: FastifyReply) {
    const created = await this.admin.createClient(tenant, parse(createClientRequestSchema, body));
    await this.audit.record(caller, tenant, 'admin.client.create', String(created['client_id']));
    void reply.header('cache-control', 'no-store');
    return created;
  }

  @AdminRoute(adminRoutes.getClient)
  async getClient(@Param('tenant') tenant: string, @Param('clientId') clientId: string, @CurrentAdmin() caller: AdminCaller) {
    return this.admin.getClient(tenant, clientId);
  }

  @AdminRoute(adminRoutes.updateClient)
  async updateClient(@Param('tenant') tenant: string, @Param('clientId') clientId: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const patch = parse(updateClientRequestSchema, body);
    const updated = await this.admin.updateClient(tenant, clientId, patch);
    await this.audit.record(caller, tenant, 'admin.client.update', clientId, { disabled: patch.disabled });
    return updated;
  }

  @AdminRoute(adminRoutes.deleteClient)
  async deleteClient(@Param('tenant') tenant: string, @Param('clientId') clientId: string, @CurrentAdmin() caller: AdminCaller): Promise<void> {
    await this.admin.deleteClient(tenant, clientId);
    await this.audit.record(caller, tenant, 'admin.client.delete', clientId);
  }

  // Upstream servers and tools -----------------------------------------------------------------------

  @AdminRoute(adminRoutes.listServers)
  async listServers(@Param('tenant') tenant: string, @Query() query: unknown, @CurrentAdmin() caller: AdminCaller) {
    const { limit, cursor } = parse(adminListQuerySchema, query);
    return this.admin.listServers(tenant, limit, cursor);
  }

  @AdminRoute(adminRoutes.createServer)
  async createServer(@Param('tenant') tenant: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const server = await this.admin.createServer(tenant, parse(createUpstreamServerRequestSchema, body));
    await this.audit.record(caller, tenant, 'admin.server.create', server.name, { transport: server.transport, credentialKind: server.credentialKind });
    return server;
  }

  @AdminRoute(adminRoutes.getServer)
  async getServer(@Param('tenant') tenant: string, @Param('name') name: string, @CurrentAdmin() caller: AdminCaller) {
    return this.admin.getServer(tenant, name);
  }

  @AdminRoute(adminRoutes.updateServer)
  async updateServer(@Param('tenant') tenant: string, @Param('name') name: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const patch = parse(updateUpstreamServerRequestSchema, body);
    const server = await this.admin.updateServer(tenant, name, patch);
    await this.audit.record(caller, tenant, 'admin.server.update', name, { changed: Object.keys(patch) });
    return server;
  }

  @AdminRoute(adminRoutes.deleteServer)
  async deleteServer(@Param('tenant') tenant: string, @Param('name') name: string, @CurrentAdmin() caller: AdminCaller): Promise<void> {
    await this.admin.deleteServer(tenant, name);
    await this.audit.record(caller, tenant, 'admin.server.delete', name);
  }

  @AdminRoute(adminRoutes.putTools)
  async putTools(@Param('tenant') tenant: string, @Param('name') name: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller) {
    const input = parse(putToolsRequestSchema, body);
    const tools = await this.admin.putTools(tenant, name, input);
    await this.audit.record(caller, tenant, 'admin.tools.replace', name, { tools: tools.length });
    return { items: tools };
  }

  @AdminRoute(adminRoutes.setToolScopes)
  async setToolScopes(
    @Param('tenant') tenant: string,
    @Param('name') name: string,
    @Param('tool') tool: string,
    @Body() body: unknown,
    @CurrentAdmin() caller: AdminCaller,
  ) {
    const { requiredScopes } = parse(setToolScopesRequestSchema, body);
    const updated = await this.admin.setToolScopes(tenant, name, tool, requiredScopes);
    await this.audit.record(caller, tenant, 'admin.tool.scopes', `${name}/${tool}`, { requiredScopes });
    return updated;
  }
}
