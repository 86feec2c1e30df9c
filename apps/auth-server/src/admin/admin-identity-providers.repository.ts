import { Inject, Injectable } from '@nestjs/common';
import type { IdentityProviderKind } from '@airlock/contracts';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';
import { decodeCursor, page, type Page } from './admin-paging.js';
import { AdminError } from './admin.errors.js';
import { escapeLike } from './admin-tenants.repository.js';

export interface IdentityProviderRow {
  id: string;
  slug: string;
  kind: IdentityProviderKind;
  displayName: string;
  preset: string;
  emailDomains: string[];
  enabled: boolean;
  config: Record<string, unknown>;
  hasClientSecret: boolean;
  linkedUsers: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface GroupMappingRow {
  id: string;
  providerId: string | null;
  provider: string | null;
  groupName: string;
  scopes: string[];
  createdAt: Date;
}

const PROVIDER_COLUMNS = `p.id, p.slug, p.kind::text AS kind, p.display_name AS "displayName", p.preset, COALESCE(p.email_domains, '{}') AS "emailDomains",
  p.enabled, p.config, (p.secrets_encrypted IS NOT NULL) AS "hasClientSecret",
  (SELECT count(*) FROM federated_identities f WHERE f.provider_id = p.id)::int AS "linkedUsers",
  p.created_at AS "createdAt", p.updated_at AS "updatedAt"`;

const MAPPING_COLUMNS = `m.id, m.provider_id AS "providerId", p.slug AS provider, m.group_name AS "groupName", COALESCE(m.scopes, '{}') AS scopes, m.created_at AS "createdAt"`;

/** A group mapping cursor: the last row's group name and id, as JSON text. */
function decodeMappingCursor(cursor: string | undefined): { groupName: string; id: string } | undefined {
  const value = decodeCursor(cursor);
  if (value === undefined) return undefined;
  try {
    const [groupName, id] = JSON.parse(value) as unknown[];
    if (typeof groupName === 'string' && typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id)) return { groupName, id };
  } catch {
    // falls through to the refusal
  }
  throw new AdminError('invalid_request', 'cursor: not a cursor this API returned');
}

/**
 * `identity_providers` and `group_mappings` for the admin API (plain pg). The sign-in path reads the same
 * rows on every login page and callback, so a change here takes effect at once on every replica.
 */
@Injectable()
export class AdminIdentityProvidersRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async list(tenantId: string, limit: number, cursor: string | undefined): Promise<Page<IdentityProviderRow>> {
    const { rows } = await this.pg.query<IdentityProviderRow>(
      `SELECT ${PROVIDER_COLUMNS} FROM identity_providers p WHERE p.tenant_id = $1 AND p.slug > $2 ORDER BY p.slug LIMIT $3`,
      [tenantId, decodeCursor(cursor) ?? '', limit + 1],
    );
    return page(rows, limit, (row) => row.slug);
  }

  async find(tenantId: string, slug: string): Promise<IdentityProviderRow | undefined> {
    const { rows } = await this.pg.query<IdentityProviderRow>(`SELECT ${PROVIDER_COLUMNS} FROM identity_providers p WHERE p.tenant_id = $1 AND p.slug = $2`, [tenantId, slug]);
    return rows[0];
  }

  async findById(tenantId: string, id: string): Promise<IdentityProviderRow | undefined> {
    const { rows } = await this.pg.query<IdentityProviderRow>(`SELECT ${PROVIDER_COLUMNS} FROM identity_providers p WHERE p.tenant_id = $1 AND p.id = $2`, [tenantId, id]);
    return rows[0];
  }

  /** undefined when the slug is taken in the tenant. */
  async insert(
    tenantId: string,
    input: { id: string; slug: string; kind: IdentityProviderKind; displayName: string; preset: string; emailDomains: string[]; enabled: boolean; config: unknown; secretsEncrypted: string | null },
  ): Promise<IdentityProviderRow | undefined> {
    const inserted = await this.pg.query(
      `INSERT INTO identity_providers (id, tenant_id, slug, kind, display_name, preset, email_domains, enabled, config, secrets_encrypted, updated_at)
       VALUES ($1, $2, $3, $4::"IdentityProviderKind", $5, $6, $7, $8, $9, $10, now()) ON CONFLICT (tenant_id, slug) DO NOTHING`,
      [input.id, tenantId, input.slug, input.kind, input.displayName, input.preset, input.emailDomains, input.enabled, JSON.stringify(input.config), input.secretsEncrypted],
    );
    return inserted.rowCount === 1 ? this.findById(tenantId, input.id) : undefined;
  }

  async update(
    tenantId: string,
    id: string,
    patch: { displayName?: string | undefined; preset?: string | undefined; emailDomains?: string[] | undefined; enabled?: boolean | undefined; config?: unknown; secretsEncrypted?: string | undefined },
  ): Promise<IdentityProviderRow | undefined> {
    const updated = await this.pg.query(
      `UPDATE identity_providers SET display_name = COALESCE($3, display_name), preset = COALESCE($4, preset),
         email_domains = COALESCE($5, email_domains), enabled = COALESCE($6, enabled), config = COALESCE($7::jsonb, config),
         secrets_encrypted = COALESCE($8, secrets_encrypted), updated_at = now()
       WHERE tenant_id = $1 AND id = $2`,
      [
        tenantId,
        id,
        patch.displayName ?? null,
        patch.preset ?? null,
        patch.emailDomains ?? null,
        patch.enabled ?? null,
        patch.config === undefined ? null : JSON.stringify(patch.config),
        patch.secretsEncrypted ?? null,
      ],
    );
    return updated.rowCount === 1 ? this.findById(tenantId, id) : undefined;
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM identity_providers WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return result.rowCount === 1;
  }

  /** The given domains another provider of the tenant already claims for home-realm discovery, with that provider's slug. */
  async claimedDomains(tenantId: string, domains: readonly string[], exceptId: string | null): Promise<Array<{ domain: string; slug: string }>> {
    if (domains.length === 0) return [];
    const { rows } = await this.pg.query<{ domain: string; slug: string }>(
      `SELECT d AS domain, p.slug FROM identity_providers p, unnest(p.email_domains) AS d
        WHERE p.tenant_id = $1 AND d = ANY($2::text[]) AND ($3::uuid IS NULL OR p.id <> $3) ORDER BY d`,
      [tenantId, domains, exceptId],
    );
    return rows;
  }

  async listMappings(tenantId: string, filter: { providerId?: string | undefined; q?: string | undefined }, limit: number, cursor: string | undefined): Promise<Page<GroupMappingRow>> {
    const after = decodeMappingCursor(cursor);
    const { rows } = await this.pg.query<GroupMappingRow>(
      `SELECT ${MAPPING_COLUMNS} FROM group_mappings m LEFT JOIN identity_providers p ON p.id = m.provider_id
        WHERE m.tenant_id = $1 AND ($2::uuid IS NULL OR m.provider_id = $2 OR m.provider_id IS NULL)
          AND ($3::text IS NULL OR m.group_name LIKE $3 || '%')
          AND ($4::text IS NULL OR (m.group_name, m.id) > ($4, $5::uuid))
        ORDER BY m.group_name, m.id LIMIT $6`,
      [tenantId, filter.providerId ?? null, filter.q ? escapeLike(filter.q) : null, after?.groupName ?? null, after?.id ?? null, limit + 1],
    );
    return page(rows, limit, (row) => JSON.stringify([row.groupName, row.id]));
  }

  async findMapping(tenantId: string, id: string): Promise<GroupMappingRow | undefined> {
    const { rows } = await this.pg.query<GroupMappingRow>(
      `SELECT ${MAPPING_COLUMNS} FROM group_mappings m LEFT JOIN identity_providers p ON p.id = m.provider_id WHERE m.tenant_id = $1 AND m.id = $2`,
      [tenantId, id],
    );
    return rows[0];
  }

  /** undefined when the tenant already maps this group for this provider (or for every provider). */
  async insertMapping(tenantId: string, input: { providerId: string | null; groupName: string; scopes: string[] }): Promise<GroupMappingRow | undefined> {
    const { rows } = await this.pg.query<{ id: string }>(
      `INSERT INTO group_mappings (id, tenant_id, provider_id, group_name, scopes)
       SELECT gen_random_uuid(), $1, $2, $3, $4
        WHERE NOT EXISTS (SELECT 1 FROM group_mappings WHERE tenant_id = $1 AND provider_id IS NOT DISTINCT FROM $2::uuid AND group_name = $3 AND admin_role IS NULL)
       RETURNING id`,
      [tenantId, input.providerId, input.groupName, input.scopes],
    );
    return rows[0] ? this.findMapping(tenantId, rows[0].id) : undefined;
  }

  /** 'conflict' when the new group name is already mapped for the same provider. */
  async updateMapping(tenantId: string, id: string, patch: { groupName?: string | undefined; scopes?: string[] | undefined }): Promise<GroupMappingRow | 'conflict' | undefined> {
    const { rows } = await this.pg.query<{ id: string; clash: boolean }>(
      `UPDATE group_mappings m SET group_name = COALESCE($3, m.group_name), scopes = COALESCE($4, m.scopes)
        WHERE m.tenant_id = $1 AND m.id = $2
          AND NOT EXISTS (SELECT 1 FROM group_mappings o WHERE o.tenant_id = $1 AND o.id <> m.id AND o.provider_id IS NOT DISTINCT FROM m.provider_id
                            AND o.group_name = COALESCE($3, m.group_name) AND o.admin_role IS NULL)
       RETURNING m.id`,
      [tenantId, id, patch.groupName ?? null, patch.scopes ?? null],
    );
    if (rows[0]) return this.findMapping(tenantId, id);
    return (await this.findMapping(tenantId, id)) ? 'conflict' : undefined;
  }

  async deleteMapping(tenantId: string, id: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM group_mappings WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return result.rowCount === 1;
  }
}
