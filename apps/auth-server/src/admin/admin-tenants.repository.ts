import { Inject, Injectable } from '@nestjs/common';
import type { RegistrationPolicy } from '@airlock/contracts';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';
import { decodeCursor, page, type Page } from './admin-paging.js';

export interface TenantView {
  id: string;
  slug: string;
  displayName: string;
  registrationPolicy: RegistrationPolicy;
  accessTokenTtl: number;
  /** Pinned tool definitions (tenant settings `toolPinning`, defaults filled in). */
  toolPinning: { mode: 'withhold' | 'flag'; approveNewTools: boolean };
  /** false: sign-in only through the tenant's identity providers. */
  localPasswordsEnabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * A tenant with what it holds. Each count is one index-only range scan on an index whose leading column is
 * `tenant_id` (users, clients, servers), so a page of 50 tenants costs 150 short scans, not a scan of the
 * tables. Live sessions are counted for one tenant only (GET): the `sessions` table is the session store's
 * hot table, and counting a large tenant's rows on every list page would not be cheap.
 */
export interface TenantWithCounts extends TenantView {
  counts: { users: number; clients: number; servers: number; liveSessions?: number };
}

const TENANT_COLUMNS = `t.id, t.slug, t.display_name AS "displayName", t.registration_policy AS "registrationPolicy",
  t.access_token_ttl AS "accessTokenTtl",
  jsonb_build_object('mode', COALESCE(t.settings->'toolPinning'->>'mode', 'withhold'), 'approveNewTools', COALESCE((t.settings->'toolPinning'->>'approveNewTools')::boolean, false)) AS "toolPinning",
  t.local_passwords_enabled AS "localPasswordsEnabled", t.created_at AS "createdAt", t.updated_at AS "updatedAt"`;
const COUNT_FIELDS = `'users', (SELECT count(*) FROM users u WHERE u.tenant_id = t.id)::int,
  'clients', (SELECT count(*) FROM oauth_clients c WHERE c.tenant_id = t.id)::int,
  'servers', (SELECT count(*) FROM upstream_servers s WHERE s.tenant_id = t.id)::int`;
const COUNTS = `json_build_object(${COUNT_FIELDS}) AS counts`;
const COUNTS_WITH_SESSIONS = `json_build_object(${COUNT_FIELDS},
  'liveSessions', (SELECT count(*) FROM sessions x WHERE x.tenant_id = t.id AND x.state = 'active' AND x.expires_at > now())::int) AS counts`;

/** The `tenants` table for the admin API (plain pg). Lists are keyset-paged on the unique slug. */
@Injectable()
export class AdminTenantsRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async list(limit: number, cursor: string | undefined, filter: { hidden: string; q?: string | undefined; only?: readonly string[] | undefined }): Promise<Page<TenantWithCounts>> {
    const { rows } = await this.pg.query<TenantWithCounts>(
      `SELECT ${TENANT_COLUMNS}, ${COUNTS} FROM tenants t
       WHERE t.slug > $1 AND t.slug <> $2 AND ($3::text IS NULL OR t.slug LIKE $3 || '%' OR lower(t.display_name) LIKE lower($3) || '%')
         AND ($4::text[] IS NULL OR t.slug = ANY($4))
       ORDER BY t.slug LIMIT $5`,
      [decodeCursor(cursor) ?? '', filter.hidden, filter.q ? escapeLike(filter.q) : null, filter.only ?? null, limit + 1],
    );
    return page(rows, limit, (row) => row.slug);
  }

  async find(slug: string): Promise<TenantWithCounts | undefined> {
    const { rows } = await this.pg.query<TenantWithCounts>(`SELECT ${TENANT_COLUMNS}, ${COUNTS_WITH_SESSIONS} FROM tenants t WHERE t.slug = $1`, [slug]);
    return rows[0];
  }

  async create(input: { slug: string; displayName: string; registrationPolicy: RegistrationPolicy; accessTokenTtl: number }): Promise<TenantView> {
    const { rows } = await this.pg.query<TenantView>(
      `INSERT INTO tenants AS t (id, slug, display_name, registration_policy, access_token_ttl, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, now()) RETURNING ${TENANT_COLUMNS}`,
      [input.slug, input.displayName, input.registrationPolicy, input.accessTokenTtl],
    );
    return rows[0]!;
  }

  async update(
    slug: string,
    patch: { displayName?: string | undefined; registrationPolicy?: RegistrationPolicy | undefined; accessTokenTtl?: number | undefined; toolPinning?: TenantView['toolPinning'] | undefined; localPasswordsEnabled?: boolean | undefined },
  ): Promise<TenantView | undefined> {
    const { rows } = await this.pg.query<TenantView>(
      `UPDATE tenants AS t SET display_name = COALESCE($2, display_name), registration_policy = COALESCE($3, registration_policy),
         access_token_ttl = COALESCE($4, access_token_ttl),
         settings = CASE WHEN $5::jsonb IS NULL THEN settings ELSE settings || jsonb_build_object('toolPinning', $5::jsonb) END,
         local_passwords_enabled = COALESCE($6, local_passwords_enabled), updated_at = now()
       WHERE slug = $1 RETURNING ${TENANT_COLUMNS}`,
      [slug, patch.displayName ?? null, patch.registrationPolicy ?? null, patch.accessTokenTtl ?? null, patch.toolPinning ? JSON.stringify(patch.toolPinning) : null, patch.localPasswordsEnabled ?? null],
    );
    return rows[0];
  }

  /** Whether someone could still sign in with local passwords off. */
  async hasEnabledIdentityProvider(tenantId: string): Promise<boolean> {
    const { rows } = await this.pg.query('SELECT 1 FROM identity_providers WHERE tenant_id = $1 AND enabled LIMIT 1', [tenantId]);
    return rows.length > 0;
  }

  async delete(slug: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM tenants WHERE slug = $1', [slug]);
    return result.rowCount === 1;
  }

  /** Every grant of the tenant that may still have live tokens, and every user id (before the tenant goes). */
  async everythingOf(tenantId: string): Promise<{ grantIds: string[]; userIds: string[] }> {
    const grants = await this.pg.query<{ id: string }>(
      `SELECT id FROM oidc_artifacts WHERE tenant_id = $1 AND model = 'Grant'
       UNION SELECT grant_id FROM consents WHERE tenant_id = $1 AND revoked_at IS NULL`,
      [tenantId],
    );
    const users = await this.pg.query<{ id: string }>('SELECT id::text AS id FROM users WHERE tenant_id = $1', [tenantId]);
    return { grantIds: grants.rows.map((row) => row.id), userIds: users.rows.map((row) => row.id) };
  }
}

/** A user's text used as a LIKE prefix: its wildcards match themselves. */
export const escapeLike = (value: string) => value.replace(/[\\%_]/g, (char) => `\\${char}`);
