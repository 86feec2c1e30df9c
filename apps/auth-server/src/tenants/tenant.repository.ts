import type { Pool } from 'pg';
import { issuerUrl } from '@airlock/contracts';
import type { RegistrationPolicy } from '@airlock/contracts';
import type { TenantRow as TenantDirectoryRow } from '@airlock/platform';
import type { TenantRecord } from './tenant-record.js';

interface TenantRow {
  id: string;
  slug: string;
  display_name: string;
  registration_policy: RegistrationPolicy;
  access_token_ttl: number;
}

/** The platform's own tenant: issues admin API tokens to the bootstrap admin client, serves no MCP. */
export const ADMIN_TENANT_SLUG = 'admin';

export class TenantRepository {
  constructor(
    private readonly pg: Pool,
    private readonly authPublicUrl: string,
  ) {}

  toRecord(row: TenantRow): TenantRecord {
    return {
      id: row.id,
      slug: row.slug,
      displayName: row.display_name,
      registrationPolicy: row.registration_policy,
      accessTokenTtl: row.access_token_ttl,
      issuer: issuerUrl(this.authPublicUrl, row.slug),
    };
  }

  /** The auth server's view of a row the shared TenantDirectory read. */
  recordOf(row: Pick<TenantDirectoryRow, 'id' | 'slug' | 'displayName' | 'registrationPolicy' | 'accessTokenTtl'>): TenantRecord {
    return {
      id: row.id,
      slug: row.slug,
      displayName: row.displayName,
      registrationPolicy: row.registrationPolicy,
      accessTokenTtl: row.accessTokenTtl,
      issuer: issuerUrl(this.authPublicUrl, row.slug),
    };
  }

  async findBySlug(slug: string): Promise<TenantRecord | undefined> {
    const { rows } = await this.pg.query<TenantRow>(
      'SELECT id, slug, display_name, registration_policy, access_token_ttl FROM tenants WHERE slug = $1',
      [slug],
    );
    return rows[0] ? this.toRecord(rows[0]) : undefined;
  }

  /** Inserts when missing; returns the tenant either way (safe when several replicas start together). */
  async ensure(slug: string, displayName: string, registrationPolicy: RegistrationPolicy = 'open'): Promise<TenantRecord> {
    await this.pg.query(
      `INSERT INTO tenants (id, slug, display_name, registration_policy, updated_at) VALUES (gen_random_uuid(), $1, $2, $3, now())
       ON CONFLICT (slug) DO NOTHING`,
      [slug, displayName, registrationPolicy],
    );
    const tenant = await this.findBySlug(slug);
    if (!tenant) throw new Error(`tenant ${slug} vanished while being created`);
    return tenant;
  }
}
