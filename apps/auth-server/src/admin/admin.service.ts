import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { errors } from 'oidc-provider';
import type {
  CreateClientRequest,
  CreateTenantRequest,
  CreateUpstreamServerRequest,
  CreateUserRequest,
  PutToolsRequest,
  RegistrationPolicy,
  UpdateClientRequest,
  UpdateTenantRequest,
  UpdateUpstreamServerRequest,
  UpdateUserRequest,
} from '@airlock/contracts';
import { upstreamSecretContext } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import { sealSecret, ServiceClients, type Infra } from '@airlock/platform';
import { sealClientMetadata } from '../adapter/client-store.js';
import { SigningKeyRepository } from '../keys/signing-key.repository.js';
import { LoginSessions } from '../login-sessions/login-sessions.service.js';
import { AUTH_SERVER_CLIENT_ID } from '../login-sessions/session-store.client.js';
import { ClientRevocationEffects } from '../oidc/client-revocation.service.js';
import { GrantRevocationEffects } from '../oidc/grant-revocation.service.js';
import { ClientMetadataError, GrantRevoker, INFRA, LOGGER, RegistrationPolicyGate, type GrantRevocationReason, type TenantRecord } from '../oidc/ports.js';
import { DatabaseResourceCatalog } from '../oidc/resource-catalog.service.js';
import { OidcProviderRegistry } from '../oidc/tenant-providers.service.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { TenantDirectory } from '../tenants/tenant-directory.service.js';
import { TenantNotFound, TenantResolver } from '../tenants/tenant-resolver.js';
import { PasswordHasher } from '../users/password-hasher.js';
import { UsersService } from '../users/users.service.js';
import { AdminError, isUniqueViolation, notFound } from './admin.errors.js';
import { UpstreamAddressCheck } from './upstream-address-check.js';
import { AdminRepository, type ClientRow, type Page, type ToolView, type UpstreamServerView } from './admin.repository.js';

/** How long a retired signing key stays published: past the longest-lived token it signed (ID tokens: 1 h). */
const ID_TOKEN_TTL_SECONDS = 60 * 60;
const CLOCK_SKEW_SECONDS = 60;

/** Client metadata as the admin API shows it: never a secret. */
export function clientView(row: ClientRow): Record<string, unknown> {
  const metadata = Object.fromEntries(Object.entries(row.metadata).filter(([key]) => key !== 'client_secret' && key !== 'registration_access_token'));
  return { ...metadata, client_id: row.clientId, kind: row.kind, disabled: row.disabled, created_at: row.createdAt };
}


/**
 * What the admin API does. Every change that affects a tenant's oidc-provider (settings, policy, keys,
 * deletion) goes through `TenantDirectory.changed`, which drops the cached provider on every replica.
 */
@Injectable()
export class AdminService {
  private readonly keys: SigningKeyRepository;

  constructor(
    @Inject(INFRA) private readonly infra: Infra,
    private readonly repository: AdminRepository,
    private readonly tenants: TenantDirectory,
    private readonly resolver: TenantResolver,
    private readonly registry: OidcProviderRegistry,
    private readonly users: UsersService,
    private readonly hasher: PasswordHasher,
    private readonly revoker: GrantRevoker,
    private readonly registrationGate: RegistrationPolicyGate,
    private readonly catalog: DatabaseResourceCatalog,
    private readonly revocationEffects: GrantRevocationEffects,
    private readonly clientRevocation: ClientRevocationEffects,
    private readonly logins: LoginSessions,
    private readonly upstreamAddresses: UpstreamAddressCheck,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.keys = registry.keys;
  }

  /** A managed tenant (the platform's own `admin` tenant is not one), read fresh (not from the cache). */
  async tenant(slug: string): Promise<TenantRecord> {
    if (slug === ADMIN_TENANT_SLUG) throw notFound('tenant');
    try {
      return await this.resolver.tenant(slug, { fresh: true });
    } catch (error) {
      if (error instanceof TenantNotFound) throw notFound('tenant');
      throw error;
    }
  }

  // Tenants ------------------------------------------------------------------------------------------

  /** `only`: the caller's tenant set (a tenant admin's or scoped auditor's); undefined lists every tenant. */
  listTenants(limit: number, cursor: string | undefined, only?: readonly string[]) {
    return this.repository.listTenants(limit, cursor, ADMIN_TENANT_SLUG, only);
  }

  async getTenant(slug: string) {
    await this.tenant(slug);
    return this.repository.findTenant(slug);
  }

  async createTenant(input: CreateTenantRequest) {
    if (input.slug === ADMIN_TENANT_SLUG) throw new AdminError('invalid_request', `the tenant slug ${ADMIN_TENANT_SLUG} is reserved`);
    let created;
    try {
      created = await this.repository.createTenant(input);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AdminError('conflict', `a tenant ${input.slug} already exists`);
      throw error;
    }
    try {
      await this.keys.ensure(created.id);
      await this.tenants.changed(created.slug);
      return created;
    } catch (error) {
      // All or nothing: a tenant without keys would answer 409 to the admin's retry and could never sign.
      await this.repository.deleteTenant(created.slug).catch((cleanup: unknown) => this.logger.error({ err: cleanup, tenant: created.slug }, 'could not remove a half-created tenant'));
      throw error;
    }
  }

  async updateTenant(slug: string, patch: UpdateTenantRequest) {
    await this.tenant(slug);
    const updated = await this.repository.updateTenant(slug, patch);
    if (!updated) throw notFound('tenant');
    await this.tenants.changed(slug);
    return updated;
  }

  setRegistrationPolicy(slug: string, policy: RegistrationPolicy) {
    return this.updateTenant(slug, { registrationPolicy: policy });
  }

  /**
   * Deletes a tenant and ends everything it issued, while its keys still exist to say so: every grant is
   * marked revoked (resource servers refuse its users' tokens at once, even with its JWKS cached; the
   * session store ends the grants' MCP sessions through its `grant.revoked` jobs), every user's sessions
   * are revoked at the session store (login sessions have no grant), and its short-lived artifacts
   * (browser sessions, codes) leave the hot store, so a tenant created again under the slug starts clean.
   * Afterwards its issuer and JWKS answer 404, which the token verifier treats as "not a valid token".
   */
  async deleteTenant(slug: string): Promise<void> {
    const tenant = await this.tenant(slug);
    const { grantIds, userIds } = await this.repository.everythingOf(tenant.id);
    for (const grantId of grantIds) await this.revocationEffects.apply(tenant, grantId, 'tenant_deleted');
    const { failed } = await this.logins.endAllOfTenant(tenant, userIds);
    if (!(await this.repository.deleteTenant(slug))) throw notFound('tenant');
    await this.tenants.changed(slug);
    await this.catalog.catalogChanged(slug);
    const leftovers = [...(await this.infra.hot.scan(`oidc:${slug}:*`)), ...(await this.infra.hot.scan(`auth:login-session*:${slug}:*`))];
    for (let i = 0; i < leftovers.length; i += 500) await this.infra.hot.del(...leftovers.slice(i, i + 500));
    this.logger.info({ tenant: slug, grants: grantIds.length, users: userIds.length, sessionStoreFailures: failed }, 'tenant deleted');
  }

  /** An RFC 7591 initial access token for a tenant whose policy requires one; shown once. */
  async createInitialAccessToken(slug: string, expiresIn: number): Promise<{ initial_access_token: string; expires_in: number }> {
    const tenant = await this.tenant(slug);
    if (tenant.registrationPolicy !== 'initial_access_token') {
      throw new AdminError('invalid_request', 'the tenant registration policy is not initial_access_token');
    }
    const entry = await this.registry.forTenant(slug);
    if (!entry) throw notFound('tenant');
    const token = new entry.provider.InitialAccessToken({ expiresIn });
    return { initial_access_token: await token.save(), expires_in: expiresIn };
  }

  // Keys ---------------------------------------------------------------------------------------------

  async listKeys(slug: string) {
    const tenant = await this.tenant(slug);
    return this.keys.list(tenant.id);
  }

  /** The next key starts signing, a fresh next key is published, the old one stays until its tokens expire. */
  async rotateKeys(slug: string) {
    const tenant = await this.tenant(slug);
    await this.keys.rotate(tenant.id, Math.max(tenant.accessTokenTtl, ID_TOKEN_TTL_SECONDS) + CLOCK_SKEW_SECONDS);
    await this.tenants.changed(slug);
    return this.keys.list(tenant.id);
  }

  // Users --------------------------------------------------------------------------------------------

  async listUsers(slug: string, limit: number, cursor: string | undefined) {
    return this.repository.listUsers((await this.tenant(slug)).id, limit, cursor);
  }

  async getUser(slug: string, id: string) {
    const user = await this.repository.findUser((await this.tenant(slug)).id, id);
    if (!user) throw notFound('user');
    return user;
  }

  async createUser(slug: string, input: CreateUserRequest) {
    const tenant = await this.tenant(slug);
    try {
      const created = await this.users.createUser(tenant.id, input);
      const user = await this.repository.findUser(tenant.id, created.id);
      if (!user) throw notFound('user');
      return user;
    } catch (error) {
      if (isUniqueViolation(error)) throw new AdminError('conflict', 'a user with this email already exists');
      throw error;
    }
  }

  async updateUser(slug: string, id: string, patch: UpdateUserRequest) {
    const tenant = await this.tenant(slug);
    if (!(await this.repository.findUser(tenant.id, id))) throw notFound('user');
    const passwordHash = patch.password ? await this.hasher.hash(patch.password) : undefined;
    const updated = await this.repository.updateUser(tenant.id, id, { displayName: patch.displayName, passwordHash, disabled: patch.disabled });
    if (!updated) throw notFound('user');
    // A disabled user's clients lose access now, not when their tokens expire.
    if (patch.disabled === true) await this.revokeGrants(tenant, { accountId: id }, 'admin_revoked');
    return updated;
  }

  async deleteUser(slug: string, id: string): Promise<void> {
    const tenant = await this.tenant(slug);
    if (!(await this.repository.findUser(tenant.id, id))) throw notFound('user');
    await this.revokeGrants(tenant, { accountId: id }, 'user_deleted');
    await this.repository.deleteUser(tenant.id, id);
  }

  // Clients ------------------------------------------------------------------------------------------

  async listClients(slug: string, limit: number, cursor: string | undefined): Promise<Page<Record<string, unknown>>> {
    const result = await this.repository.listClients((await this.tenant(slug)).id, limit, cursor);
    return { items: result.items.map(clientView), nextCursor: result.nextCursor };
  }

  async getClient(slug: string, clientId: string) {
    const row = await this.repository.findClient((await this.tenant(slug)).id, clientId);
    if (!row) throw notFound('client');
    return clientView(row);
  }

  /** A pre-registered client, validated like a dynamic registration; a confidential one's secret is returned once. */
  async createClient(slug: string, input: CreateClientRequest): Promise<Record<string, unknown>> {
    const tenant = await this.tenant(slug);
    const clientId = input.client_id ?? `adm_${randomBytes(12).toString('hex')}`;
    if (Object.values(ServiceClients).includes(clientId as never) || clientId === AUTH_SERVER_CLIENT_ID || /^https:/i.test(clientId)) {
      throw new AdminError('conflict', 'this client_id is reserved');
    }
    const metadata: Record<string, unknown> = {
      ...input,
      client_id: clientId,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      response_types: input.grant_types.includes('authorization_code') ? ['code'] : [],
    };
    // A client_credentials-only client has no redirect URIs (an empty list would be refused as malformed).
    if (!input.grant_types.includes('authorization_code') && input.redirect_uris.length === 0) delete metadata['redirect_uris'];
    if (input.token_endpoint_auth_method !== 'none') metadata['client_secret'] = randomBytes(32).toString('base64url');
    try {
      await this.registrationGate.validate(tenant, metadata, 'admin');
      const entry = await this.registry.forTenant(slug);
      if (!entry) throw notFound('tenant');
      await entry.provider.Client.validate(metadata as never);
    } catch (error) {
      if (error instanceof ClientMetadataError) {
        throw new AdminError(error.error === 'invalid_redirect_uri' ? 'invalid_redirect_uri' : 'invalid_client_metadata', error.description);
      }
      if (error instanceof errors.OIDCProviderError) {
        throw new AdminError(error.error === 'invalid_redirect_uri' ? 'invalid_redirect_uri' : 'invalid_client_metadata', error.error_description ?? error.message);
      }
      throw error;
    }
    if (!(await this.repository.insertClient(tenant.id, clientId, sealClientMetadata(this.infra.masterKey, tenant.id, clientId, metadata)))) throw new AdminError('conflict', `a client ${clientId} already exists`);
    const { client_secret: secret, ...shown } = metadata;
    return { ...shown, kind: 'admin', ...(typeof secret === 'string' ? { client_secret: secret, client_secret_expires_at: 0 } : {}) };
  }

  async deleteClient(slug: string, clientId: string): Promise<void> {
    const tenant = await this.tenant(slug);
    if (!(await this.repository.findClient(tenant.id, clientId))) throw notFound('client');
    await this.revokeGrants(tenant, { clientId }, 'client_deleted');
    await this.repository.deleteClient(tenant.id, clientId);
    // After the row is gone (no new tokens): every token it still holds, client_credentials ones included.
    await this.clientRevocation.apply(tenant, clientId, 'client_deleted');
  }

  /** Disabling refuses the client new tokens (it stops existing for oidc-provider) and revokes those it holds. */
  async updateClient(slug: string, clientId: string, patch: UpdateClientRequest): Promise<Record<string, unknown>> {
    const tenant = await this.tenant(slug);
    if (!(await this.repository.setClientDisabled(tenant.id, clientId, patch.disabled))) throw notFound('client');
    if (patch.disabled) {
      await this.revokeGrants(tenant, { clientId }, 'admin_revoked');
      await this.clientRevocation.apply(tenant, clientId, 'client_disabled');
    }
    return this.getClient(slug, clientId);
  }

  // Upstream servers and tools -----------------------------------------------------------------------

  async listServers(slug: string, limit: number, cursor: string | undefined) {
    return this.repository.listServers((await this.tenant(slug)).id, limit, cursor);
  }

  async getServer(slug: string, name: string): Promise<UpstreamServerView & { tools: ToolView[] }> {
    const server = await this.repository.findServer((await this.tenant(slug)).id, name);
    if (!server) throw notFound('server');
    return { ...server, tools: await this.repository.listTools(server.id) };
  }

  async createServer(slug: string, input: CreateUpstreamServerRequest) {
    const tenant = await this.tenant(slug);
    await this.upstreamAddresses.check(input);
    const created = await this.repository.createServer(tenant.id, {
      name: input.name,
      transport: input.transport,
      url: input.url ?? null,
      command: input.command ?? null,
      args: input.args ?? [],
      credentialKind: input.credentialKind ?? 'none',
      secretsEncrypted: input.secrets ? sealSecret(this.infra.masterKey, JSON.stringify(input.secrets), upstreamSecretContext(tenant.id, input.name)) : null,
      enabled: input.enabled ?? true,
      sandbox: input.sandbox ?? true,
      readOnlyPaths: input.readOnlyPaths ?? [],
      protocolEra: input.protocolEra ?? 'auto',
    });
    if (!created) throw new AdminError('conflict', `a server ${input.name} already exists`);
    await this.catalog.catalogChanged(slug, input.name);
    return created;
  }

  async updateServer(slug: string, name: string, patch: UpdateUpstreamServerRequest) {
    const tenant = await this.tenant(slug);
    await this.upstreamAddresses.check(patch);
    const secretsEncrypted =
      patch.secrets === undefined ? undefined : patch.secrets === null ? null : sealSecret(this.infra.masterKey, JSON.stringify(patch.secrets), upstreamSecretContext(tenant.id, name));
    const updated = await this.repository.updateServer(tenant.id, name, { ...patch, secretsEncrypted });
    if (!updated) throw notFound('server');
    await this.catalog.catalogChanged(slug, name);
    return updated;
  }

  async deleteServer(slug: string, name: string): Promise<void> {
    const tenant = await this.tenant(slug);
    if (!(await this.repository.deleteServer(tenant.id, name))) throw notFound('server');
    await this.catalog.catalogChanged(slug, name);
  }

  async putTools(slug: string, name: string, input: PutToolsRequest): Promise<ToolView[]> {
    const tenant = await this.tenant(slug);
    const server = await this.repository.findServer(tenant.id, name);
    if (!server) throw notFound('server');
    const names = new Set(input.tools.map((tool) => tool.name));
    if (names.size !== input.tools.length) throw new AdminError('invalid_request', 'tool names must be unique');
    await this.repository.replaceTools(tenant.id, server.id, input.tools);
    await this.catalog.catalogChanged(slug, name);
    return this.repository.listTools(server.id);
  }

  async setToolScopes(slug: string, name: string, tool: string, requiredScopes: string[]): Promise<ToolView> {
    const tenant = await this.tenant(slug);
    const server = await this.repository.findServer(tenant.id, name);
    if (!server) throw notFound('server');
    const updated = await this.repository.setToolScopes(server.id, tool, requiredScopes);
    if (!updated) throw notFound('tool');
    await this.catalog.catalogChanged(slug, name);
    return updated;
  }

  private async revokeGrants(tenant: TenantRecord, by: { accountId: string } | { clientId: string }, reason: GrantRevocationReason): Promise<void> {
    for (const grantId of await this.repository.grantIds(tenant.id, by)) await this.revoker.revoke(tenant, grantId, reason);
  }
}
