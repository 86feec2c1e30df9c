import { Inject, Injectable } from '@nestjs/common';
import type { CreateTenantRequest, RegistrationPolicy, UpdateTenantRequest } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import type { HotStore } from '@airlock/redis';
import { SigningKeyRepository } from '../keys/signing-key.repository.js';
import { LoginSessions } from '../login-sessions/login-sessions.service.js';
import { GrantRevocationEffects } from '../oidc/grant-revocation.service.js';
import { HOT_STORE, LOGGER } from '../infra/infra.tokens.js';
import { DatabaseResourceCatalog } from '../oidc/resource-catalog.service.js';
import { OidcProviderRegistry } from '../oidc/tenant-providers.service.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { TenantRecords } from '../tenants/tenant-records.service.js';
import type { AuditTrail } from './admin-audit-trail.js';
import { AdminError, isUniqueViolation, tenantNotFound } from './admin.errors.js';
import type { Page } from './admin-paging.js';
import { AdminTenantsRepository, type TenantView, type TenantWithCounts } from './admin-tenants.repository.js';
import { ManagedTenants } from './managed-tenants.service.js';

/** How long a retired signing key stays published: past the longest-lived token it signed (ID tokens: 1 h). */
const ID_TOKEN_TTL_SECONDS = 60 * 60;
const CLOCK_SKEW_SECONDS = 60;

/** The snapshot an audit record keeps of a tenant (what an admin can change). */
const snapshot = (tenant: TenantView | undefined) =>
  tenant && { slug: tenant.slug, displayName: tenant.displayName, registrationPolicy: tenant.registrationPolicy, accessTokenTtl: tenant.accessTokenTtl, toolPinning: tenant.toolPinning, localPasswordsEnabled: tenant.localPasswordsEnabled };

/**
 * Tenants, their registration policy, initial access tokens and signing keys. Every change that affects a
 * tenant's oidc-provider goes through `TenantRecords.changed`, which drops the cached provider on every replica.
 */
@Injectable()
export class AdminTenantsService {
  constructor(
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly repository: AdminTenantsRepository,
    private readonly managed: ManagedTenants,
    private readonly directory: TenantRecords,
    private readonly registry: OidcProviderRegistry,
    private readonly catalog: DatabaseResourceCatalog,
    private readonly revocationEffects: GrantRevocationEffects,
    private readonly logins: LoginSessions,
    private readonly keys: SigningKeyRepository,
  ) {}

  list(limit: number, cursor: string | undefined, filter: { q?: string | undefined; only?: readonly string[] | undefined }): Promise<Page<TenantWithCounts>> {
    return this.repository.list(limit, cursor, { ...filter, hidden: ADMIN_TENANT_SLUG });
  }

  async get(slug: string): Promise<TenantWithCounts> {
    await this.managed.get(slug);
    const tenant = await this.repository.find(slug);
    if (!tenant) throw tenantNotFound();
    return tenant;
  }

  async create(input: CreateTenantRequest, trail: AuditTrail): Promise<TenantView> {
    trail.tenant = input.slug;
    trail.target = input.slug;
    if (input.slug === ADMIN_TENANT_SLUG) {
      trail.tenant = ADMIN_TENANT_SLUG;
      throw new AdminError('invalid_request', `the tenant slug ${ADMIN_TENANT_SLUG} is reserved`);
    }
    let created: TenantView;
    try {
      created = await this.repository.create(input);
    } catch (error) {
      if (isUniqueViolation(error)) throw new AdminError('conflict', `a tenant ${input.slug} already exists`);
      throw error;
    }
    try {
      await this.keys.ensure(created.id);
      await this.directory.changed(created.slug);
    } catch (error) {
      // All or nothing: a tenant without keys would answer 409 to the admin's retry and could never sign.
      await this.repository.delete(created.slug).catch((cleanup: unknown) => this.logger.error({ err: cleanup, tenant: created.slug }, 'could not remove a half-created tenant'));
      trail.tenant = ADMIN_TENANT_SLUG;
      throw error;
    }
    trail.change(undefined, snapshot(created));
    return created;
  }

  async update(slug: string, patch: UpdateTenantRequest, trail: AuditTrail): Promise<TenantView> {
    const tenant = await this.managed.get(slug);
    if (patch.localPasswordsEnabled === false && !(await this.repository.hasEnabledIdentityProvider(tenant.id))) {
      throw new AdminError('invalid_request', 'localPasswordsEnabled: switching local passwords off needs an enabled identity provider (nobody could sign in)');
    }
    const before = await this.repository.find(slug);
    const updated = await this.repository.update(slug, patch);
    if (!updated) throw tenantNotFound();
    await this.directory.changed(slug);
    trail.change(snapshot(before), snapshot(updated));
    return updated;
  }

  setRegistrationPolicy(slug: string, policy: RegistrationPolicy, trail: AuditTrail): Promise<TenantView> {
    return this.update(slug, { registrationPolicy: policy }, trail);
  }

  /**
   * Deletes a tenant and ends everything it issued, while its keys still exist to say so: every grant is
   * marked revoked (resource servers refuse its users' tokens at once, even with its JWKS cached; the
   * session store ends the grants' MCP sessions through its `grant.revoked` jobs), every user's sessions
   * are revoked at the session store (login sessions have no grant), and its short-lived artifacts
   * (browser sessions, codes) leave the hot store, so a tenant created again under the slug starts clean.
   * Afterwards its issuer and JWKS answer 404, which the token verifier treats as "not a valid token".
   * The tenant's own audit trail goes with it: the platform tenant keeps the record.
   */
  async delete(slug: string, trail: AuditTrail): Promise<void> {
    const tenant = await this.managed.get(slug);
    const before = await this.repository.find(slug);
    const { grantIds, userIds } = await this.repository.everythingOf(tenant.id);
    for (const grantId of grantIds) await this.revocationEffects.apply(tenant, grantId, 'tenant_deleted');
    const { failed } = await this.logins.endAllOfTenant(tenant, userIds);
    if (!(await this.repository.delete(slug))) throw tenantNotFound();
    trail.tenant = ADMIN_TENANT_SLUG;
    trail.change(before && { ...snapshot(before), counts: before.counts }, undefined);
    await this.directory.changed(slug);
    await this.catalog.catalogChanged(slug);
    const leftovers = [...(await this.hot.scan(`oidc:${slug}:*`)), ...(await this.hot.scan(`auth:login-session*:${slug}:*`))];
    for (let i = 0; i < leftovers.length; i += 500) await this.hot.del(...leftovers.slice(i, i + 500));
    this.logger.info({ tenant: slug, grants: grantIds.length, users: userIds.length, sessionStoreFailures: failed }, 'tenant deleted');
  }

  /** An RFC 7591 initial access token for a tenant whose policy requires one; shown once (never audited). */
  async createInitialAccessToken(slug: string, expiresIn: number, trail: AuditTrail): Promise<{ initial_access_token: string; expires_in: number }> {
    const tenant = await this.managed.get(slug);
    if (tenant.registrationPolicy !== 'initial_access_token') {
      throw new AdminError('invalid_request', 'the tenant registration policy is not initial_access_token');
    }
    const entry = await this.registry.forTenant(slug);
    if (!entry) throw tenantNotFound();
    const token = new entry.provider.InitialAccessToken({ expiresIn });
    trail.details['expiresIn'] = expiresIn;
    return { initial_access_token: await token.save(), expires_in: expiresIn };
  }

  async listKeys(slug: string) {
    return this.keys.list((await this.managed.get(slug)).id);
  }

  /** The next key starts signing, a fresh next key is published, the old one stays until its tokens expire. */
  async rotateKeys(slug: string, trail: AuditTrail) {
    const tenant = await this.managed.get(slug);
    const activeKids = (keys: Awaited<ReturnType<SigningKeyRepository['list']>>) => keys.filter((key) => key.state === 'active').map((key) => key.kid);
    const before = activeKids(await this.keys.list(tenant.id));
    await this.keys.rotate(tenant.id, Math.max(tenant.accessTokenTtl, ID_TOKEN_TTL_SECONDS) + CLOCK_SKEW_SECONDS);
    await this.directory.changed(slug);
    const keys = await this.keys.list(tenant.id);
    trail.change({ active: before }, { active: activeKids(keys) });
    return keys;
  }
}
