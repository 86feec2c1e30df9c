import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import {
  identityProviderSecretContext,
  parseIdentityProviderConfig,
  type CreateGroupMappingRequest,
  type CreateIdentityProviderRequest,
  type IdentityProviderKind,
  type OidcPreset,
  type OidcProviderConfig,
  type UpdateGroupMappingRequest,
  type UpdateIdentityProviderRequest,
} from '@airlock/contracts';
import type { AuthServerConfig } from '@airlock/config';
import { sealSecret } from '@airlock/platform';
import { oidcCallbackUrl } from '../federation/oidc/oidc-broker.service.js';
import { presetConfigProblem } from '../federation/oidc/oidc-presets.js';
import { samlEndpoints } from '../federation/saml/saml-endpoints.js';
import { AUTH_CONFIG, MASTER_KEY } from '../infra/infra.tokens.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import type { AuditTrail } from './admin-audit-trail.js';
import { AdminError, notFound } from './admin.errors.js';
import { AdminIdentityProvidersRepository, type GroupMappingRow, type IdentityProviderRow } from './admin-identity-providers.repository.js';
import type { Page } from './admin-paging.js';
import { ManagedTenants } from './managed-tenants.service.js';
import { UpstreamAddressCheck } from './upstream-address-check.js';

/** A provider as the API shows it: never the sealed secret, only whether one is set; the URLs to register at the provider. */
export function identityProviderJson(tenant: Pick<TenantRecord, 'issuer' | 'slug'>, row: IdentityProviderRow) {
  const saml = row.kind === 'saml' ? samlEndpoints(tenant, row.slug) : undefined;
  return {
    id: row.id,
    slug: row.slug,
    kind: row.kind,
    displayName: row.displayName,
    preset: row.preset,
    emailDomains: row.emailDomains,
    enabled: row.enabled,
    config: row.config,
    hasClientSecret: row.hasClientSecret,
    callbackUrl: saml ? saml.acsUrl : oidcCallbackUrl(tenant.issuer, row.slug),
    metadataUrl: saml ? saml.entityId : null,
    linkedUsers: row.linkedUsers,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export const groupMappingJson = (row: GroupMappingRow) => ({ ...row, createdAt: row.createdAt.toISOString() });

/** What an audit record keeps of a provider: what an admin can change (no secret, no counts). */
const snapshot = (json: ReturnType<typeof identityProviderJson> | undefined) =>
  json && { slug: json.slug, kind: json.kind, displayName: json.displayName, preset: json.preset, emailDomains: json.emailDomains, enabled: json.enabled, config: json.config, hasClientSecret: json.hasClientSecret };

function configOrRefuse(kind: IdentityProviderKind, config: unknown) {
  const parsed = parseIdentityProviderConfig(kind, config);
  if (!parsed.success) throw new AdminError('invalid_request', parsed.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; '));
  return parsed.data;
}

/**
 * A tenant's identity providers and group mappings. Secrets go in (sealed with the master key under the
 * provider's own context) and never come out. The brokers read the rows on every sign-in (the OIDC
 * broker's discovery cache is keyed by `updated_at`), so every change applies to the next sign-in.
 */
@Injectable()
export class AdminIdentityProvidersService {
  private readonly production: boolean;

  constructor(
    private readonly repository: AdminIdentityProvidersRepository,
    private readonly managed: ManagedTenants,
    private readonly addresses: UpstreamAddressCheck,
    @Inject(MASTER_KEY) private readonly masterKey: Buffer,
    @Inject(AUTH_CONFIG) config: AuthServerConfig,
  ) {
    this.production = config.env === 'production';
  }

  async list(slug: string, limit: number, cursor: string | undefined): Promise<Page<ReturnType<typeof identityProviderJson>>> {
    const tenant = await this.managed.get(slug);
    const rows = await this.repository.list(tenant.id, limit, cursor);
    return { items: rows.items.map((row) => identityProviderJson(tenant, row)), nextCursor: rows.nextCursor };
  }

  async get(slug: string, provider: string) {
    const tenant = await this.managed.get(slug);
    const row = await this.repository.find(tenant.id, provider);
    if (!row) throw notFound('identity provider');
    return identityProviderJson(tenant, row);
  }

  async create(slug: string, input: CreateIdentityProviderRequest, trail: AuditTrail) {
    const tenant = await this.managed.get(slug);
    trail.target = input.slug;
    const config = configOrRefuse(input.kind, input.config);
    if (input.kind === 'oidc') await this.checkOidc(input.preset, config as OidcProviderConfig);
    await this.checkDomains(tenant.id, input.emailDomains, null);
    const id = randomUUID();
    const created = await this.repository.insert(tenant.id, {
      id,
      slug: input.slug,
      kind: input.kind,
      displayName: input.displayName,
      preset: input.kind === 'oidc' ? input.preset : 'generic',
      emailDomains: [...new Set(input.emailDomains)],
      enabled: input.enabled,
      config,
      secretsEncrypted: input.clientSecret === undefined ? null : this.seal(tenant.id, id, input.clientSecret),
    });
    if (!created) throw new AdminError('conflict', `an identity provider ${input.slug} already exists in this tenant`);
    const json = identityProviderJson(tenant, created);
    trail.change(undefined, snapshot(json));
    return json;
  }

  async update(slug: string, provider: string, patch: UpdateIdentityProviderRequest, trail: AuditTrail) {
    const tenant = await this.managed.get(slug);
    trail.target = provider;
    const before = await this.repository.find(tenant.id, provider);
    if (!before) throw notFound('identity provider');
    const config = patch.config === undefined ? undefined : configOrRefuse(before.kind, patch.config);
    if (before.kind === 'saml') {
      if (patch.clientSecret !== undefined) throw new AdminError('invalid_request', 'clientSecret: a SAML provider has no client secret');
      if (patch.preset !== undefined && patch.preset !== 'generic') throw new AdminError('invalid_request', 'preset: presets are for OpenID Connect providers (SAML: generic)');
    } else if (config !== undefined || patch.preset !== undefined) {
      const effective = (config ?? configOrRefuse('oidc', before.config)) as OidcProviderConfig;
      await this.checkOidc(patch.preset ?? (before.preset as OidcPreset), effective, config !== undefined);
    }
    if (patch.emailDomains) await this.checkDomains(tenant.id, patch.emailDomains, before.id);
    const updated = await this.repository.update(tenant.id, before.id, {
      displayName: patch.displayName,
      preset: patch.preset,
      emailDomains: patch.emailDomains && [...new Set(patch.emailDomains)],
      enabled: patch.enabled,
      config,
      secretsEncrypted: patch.clientSecret === undefined ? undefined : this.seal(tenant.id, before.id, patch.clientSecret),
    });
    if (!updated) throw notFound('identity provider');
    if (patch.clientSecret !== undefined) trail.details['clientSecretReplaced'] = true;
    const json = identityProviderJson(tenant, updated);
    trail.change(snapshot(identityProviderJson(tenant, before)), snapshot(json));
    return json;
  }

  async delete(slug: string, provider: string, trail: AuditTrail): Promise<void> {
    const tenant = await this.managed.get(slug);
    trail.target = provider;
    const before = await this.repository.find(tenant.id, provider);
    if (!before || !(await this.repository.delete(tenant.id, before.id))) throw notFound('identity provider');
    trail.details['linkedUsers'] = before.linkedUsers;
    trail.change(snapshot(identityProviderJson(tenant, before)), undefined);
  }

  async listMappings(slug: string, filter: { providerId?: string | undefined; q?: string | undefined }, limit: number, cursor: string | undefined) {
    const tenant = await this.managed.get(slug);
    const rows = await this.repository.listMappings(tenant.id, filter, limit, cursor);
    return { items: rows.items.map(groupMappingJson), nextCursor: rows.nextCursor };
  }

  async createMapping(slug: string, input: CreateGroupMappingRequest, trail: AuditTrail) {
    const tenant = await this.managed.get(slug);
    trail.target = input.groupName;
    if (input.providerId !== null && !(await this.repository.findById(tenant.id, input.providerId))) {
      throw new AdminError('invalid_request', 'providerId: no such identity provider in this tenant');
    }
    const created = await this.repository.insertMapping(tenant.id, { providerId: input.providerId, groupName: input.groupName, scopes: [...new Set(input.scopes)] });
    if (!created) throw new AdminError('conflict', `the group ${input.groupName} is already mapped ${input.providerId ? 'for this provider' : 'for every provider'}`);
    trail.change(undefined, groupMappingJson(created));
    return groupMappingJson(created);
  }

  async updateMapping(slug: string, id: string, patch: UpdateGroupMappingRequest, trail: AuditTrail) {
    const tenant = await this.managed.get(slug);
    const before = await this.repository.findMapping(tenant.id, id);
    if (!before) throw notFound('group mapping');
    trail.target = before.groupName;
    const updated = await this.repository.updateMapping(tenant.id, id, { groupName: patch.groupName, scopes: patch.scopes && [...new Set(patch.scopes)] });
    if (updated === 'conflict') throw new AdminError('conflict', `the group ${patch.groupName ?? before.groupName} is already mapped for the same provider`);
    if (!updated) throw notFound('group mapping');
    trail.change(groupMappingJson(before), groupMappingJson(updated));
    return groupMappingJson(updated);
  }

  async deleteMapping(slug: string, id: string, trail: AuditTrail): Promise<void> {
    const tenant = await this.managed.get(slug);
    const before = await this.repository.findMapping(tenant.id, id);
    if (!before || !(await this.repository.deleteMapping(tenant.id, id))) throw notFound('group mapping');
    trail.target = before.groupName;
    trail.change(groupMappingJson(before), undefined);
  }

  /** The preset's documented rules, https in production, and the operator's egress policy for the issuer (discovery is fetched from it). */
  private async checkOidc(preset: OidcPreset, config: OidcProviderConfig, issuerChanged = true): Promise<void> {
    const problem = presetConfigProblem(preset, config);
    if (problem) throw new AdminError('invalid_request', `config: ${problem}`);
    if (!issuerChanged) return;
    if (this.production && !config.issuer.startsWith('https:')) throw new AdminError('invalid_request', 'config.issuer: must be https');
    await this.addresses.checkUrl('config.issuer', config.issuer);
  }

  /** Home-realm discovery needs one provider per domain. */
  private async checkDomains(tenantId: string, domains: readonly string[], exceptId: string | null): Promise<void> {
    const claimed = await this.repository.claimedDomains(tenantId, domains, exceptId);
    if (claimed.length > 0) throw new AdminError('conflict', `emailDomains: ${claimed.map((c) => `${c.domain} already signs in through ${c.slug}`).join('; ')}`);
  }

  private seal(tenantId: string, providerId: string, clientSecret: string): string {
    return sealSecret(this.masterKey, JSON.stringify({ clientSecret }), identityProviderSecretContext(tenantId, providerId));
  }
}
