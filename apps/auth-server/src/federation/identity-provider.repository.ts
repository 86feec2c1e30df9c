import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { identityProviderSecretContext, oidcPresetSchema, oidcProviderConfigSchema, oidcProviderSecretsSchema } from '@airlock/contracts';
import type { OidcPreset, OidcProviderConfig } from '@airlock/contracts';
import { openSecret } from '@airlock/platform';
import { MASTER_KEY, PG_POOL } from '../infra/infra.tokens.js';

/** A tenant's OpenID provider, ready for the broker: config parsed, client secret opened. */
export interface OidcProviderRecord {
  id: string;
  slug: string;
  displayName: string;
  preset: OidcPreset;
  enabled: boolean;
  config: OidcProviderConfig;
  clientSecret: string;
  /** Changes whenever the admin edits the provider: the broker's discovery cache key. */
  version: string;
}

/** What the login page offers: the enabled providers and whether passwords are allowed at all. */
export interface LoginOptions {
  localPasswords: boolean;
  providers: Array<{ slug: string; kind: 'oidc' | 'saml'; displayName: string; emailDomains: string[] }>;
}

interface ProviderRow {
  id: string;
  slug: string;
  display_name: string;
  preset: string;
  enabled: boolean;
  config: unknown;
  secrets_encrypted: string | null;
  updated_at: Date;
}

@Injectable()
export class IdentityProviderRepository {
  constructor(
    @Inject(PG_POOL) private readonly pg: Pool,
    @Inject(MASTER_KEY) private readonly masterKey: Buffer,
  ) {}

  /** The OIDC provider `slug` of the tenant; undefined when there is none, or it is not OIDC or not readable. */
  async oidcProvider(tenantId: string, slug: string): Promise<OidcProviderRecord | undefined> {
    const { rows } = await this.pg.query<ProviderRow>(
      `SELECT id, slug, display_name, preset, enabled, config, secrets_encrypted, updated_at
         FROM identity_providers WHERE tenant_id = $1 AND slug = $2 AND kind = 'oidc'`,
      [tenantId, slug],
    );
    const row = rows[0];
    if (!row?.secrets_encrypted) return undefined;
    const config = oidcProviderConfigSchema.safeParse(row.config);
    const preset = oidcPresetSchema.safeParse(row.preset);
    if (!config.success || !preset.success) return undefined;
    const secrets = oidcProviderSecretsSchema.parse(JSON.parse(openSecret(this.masterKey, row.secrets_encrypted, identityProviderSecretContext(tenantId, row.id))));
    return {
      id: row.id,
      slug: row.slug,
      displayName: row.display_name,
      preset: preset.data,
      enabled: row.enabled,
      config: config.data,
      clientSecret: secrets.clientSecret,
      version: `${row.id}:${row.updated_at.getTime()}`,
    };
  }

  /** One query per login page render (not a hot path): the tenant's switch and its enabled providers. */
  async loginOptions(tenantId: string): Promise<LoginOptions> {
    const { rows } = await this.pg.query<{ local: boolean; slug: string | null; kind: 'oidc' | 'saml' | null; display_name: string | null; email_domains: string[] | null }>(
      `SELECT t.local_passwords_enabled AS local, p.slug, p.kind, p.display_name, p.email_domains
         FROM tenants t LEFT JOIN identity_providers p ON p.tenant_id = t.id AND p.enabled
        WHERE t.id = $1 ORDER BY p.display_name, p.slug`,
      [tenantId],
    );
    return {
      localPasswords: rows[0]?.local ?? true,
      providers: rows.filter((r) => r.slug && r.kind).map((r) => ({ slug: r.slug!, kind: r.kind!, displayName: r.display_name ?? r.slug!, emailDomains: r.email_domains ?? [] })),
    };
  }
}

/** Home-realm discovery: the provider whose domains include the email's domain (subdomains do not match). */
export function providerForEmail<P extends { emailDomains: string[] }>(providers: readonly P[], email: string): P | undefined {
  const at = email.lastIndexOf('@');
  if (at < 0) return undefined;
  const domain = email.slice(at + 1).trim().toLowerCase();
  return domain ? providers.find((p) => p.emailDomains.includes(domain)) : undefined;
}
