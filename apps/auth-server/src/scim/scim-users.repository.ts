import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';
import type { ScimFilterTable, SqlCondition } from './scim-filter-sql.js';

/** A `users` row as SCIM renders it. */
export interface ScimUserRow {
  id: string;
  email: string;
  displayName: string | null;
  externalId: string | null;
  disabledAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ScimUserFields {
  email: string;
  displayName: string | null;
  externalId: string | null;
  active: boolean;
}

const COLUMNS = `u.id::text AS id, u.email, u.display_name AS "displayName", u.external_id AS "externalId", u.disabled_at AS "disabledAt", u.created_at AS "createdAt", u.updated_at AS "updatedAt"`;

/** What a Users filter may name; `emails` is the one (work, primary) address a user has here. */
export const userFilterTable: ScimFilterTable = {
  attributes: {
    id: { sql: 'u.id::text', type: 'string', caseExact: true },
    username: { sql: 'u.email', type: 'string', caseExact: false },
    externalid: { sql: 'u.external_id', type: 'string', caseExact: true },
    displayname: { sql: 'u.display_name', type: 'string', caseExact: false },
    'name.formatted': { sql: 'u.display_name', type: 'string', caseExact: false },
    active: { sql: 'u.disabled_at IS NULL', type: 'boolean', caseExact: true },
    'meta.created': { sql: 'u.created_at', type: 'dateTime', caseExact: true },
    'meta.lastmodified': { sql: 'u.updated_at', type: 'dateTime', caseExact: true },
  },
  multiValued: {
    emails: {
      subAttributes: {
        value: { sql: 'u.email', type: 'string', caseExact: false },
        type: { sql: "'work'", type: 'string', caseExact: false },
        primary: { sql: 'true', type: 'boolean', caseExact: true },
      },
      wrap: (condition) => condition,
    },
    groups: {
      subAttributes: {
        value: { sql: 'gm.group_id::text', type: 'string', caseExact: true },
        display: { sql: 'g.display_name', type: 'string', caseExact: false },
      },
      wrap: (condition) => `EXISTS (SELECT 1 FROM scim_group_members gm JOIN scim_groups g ON g.id = gm.group_id WHERE gm.user_id = u.id AND ${condition})`,
    },
  },
};

/** A tenant's users as SCIM reads and writes them (plain SQL: filters become parameterised conditions). */
@Injectable()
export class ScimUsersRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  /** One page in creation order and the total matching; `where` has placeholders from $2 ($1 is the tenant). */
  async list(tenantId: string, where: SqlCondition | undefined, offset: number, limit: number): Promise<{ total: number; rows: ScimUserRow[] }> {
    const condition = where ? `AND ${where.sql}` : '';
    const params = [tenantId, ...(where?.params ?? [])];
    const counted = await this.pg.query<{ total: string }>(`SELECT count(*) AS total FROM users u WHERE u.tenant_id = $1 ${condition}`, params);
    const total = Number(counted.rows[0]?.total ?? 0);
    if (limit === 0 || offset >= total) return { total, rows: [] };
    const { rows } = await this.pg.query<ScimUserRow>(
      `SELECT ${COLUMNS} FROM users u WHERE u.tenant_id = $1 ${condition} ORDER BY u.created_at, u.id OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
      [...params, offset, limit],
    );
    return { total, rows };
  }

  async find(tenantId: string, id: string): Promise<ScimUserRow | undefined> {
    const { rows } = await this.pg.query<ScimUserRow>(`SELECT ${COLUMNS} FROM users u WHERE u.tenant_id = $1 AND u.id = $2`, [tenantId, id]);
    return rows[0];
  }

  /** A provisioned user has no password (empty hash): they sign in through the tenant's identity provider. */
  async create(tenantId: string, fields: ScimUserFields): Promise<ScimUserRow> {
    const { rows } = await this.pg.query<ScimUserRow>(
      `INSERT INTO users AS u (id, tenant_id, email, display_name, external_id, password_hash, disabled_at, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, '', CASE WHEN $5::boolean THEN NULL ELSE now() END, now())
       RETURNING ${COLUMNS}`,
      [tenantId, fields.email, fields.displayName, fields.externalId, fields.active],
    );
    return rows[0]!;
  }

  /** Replaces the SCIM-managed fields; `disabled_at` keeps its first moment while the user stays inactive. */
  async update(tenantId: string, id: string, fields: ScimUserFields): Promise<ScimUserRow | undefined> {
    const { rows } = await this.pg.query<ScimUserRow>(
      `UPDATE users AS u SET email = $3, display_name = $4, external_id = $5,
         disabled_at = CASE WHEN $6::boolean THEN NULL ELSE coalesce(u.disabled_at, now()) END, updated_at = now()
       WHERE u.tenant_id = $1 AND u.id = $2 RETURNING ${COLUMNS}`,
      [tenantId, id, fields.email, fields.displayName, fields.externalId, fields.active],
    );
    return rows[0];
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM users WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return result.rowCount === 1;
  }

  /** The SCIM groups each of these users is in (for the `groups` attribute). */
  async groupsOf(tenantId: string, userIds: readonly string[]): Promise<Map<string, Array<{ id: string; displayName: string }>>> {
    const result = new Map<string, Array<{ id: string; displayName: string }>>();
    if (userIds.length === 0) return result;
    const { rows } = await this.pg.query<{ userId: string; id: string; displayName: string }>(
      `SELECT gm.user_id::text AS "userId", g.id::text AS id, g.display_name AS "displayName"
       FROM scim_group_members gm JOIN scim_groups g ON g.id = gm.group_id
       WHERE g.tenant_id = $1 AND gm.user_id = ANY($2::uuid[]) ORDER BY g.display_name`,
      [tenantId, userIds],
    );
    for (const row of rows) result.set(row.userId, [...(result.get(row.userId) ?? []), { id: row.id, displayName: row.displayName }]);
    return result;
  }
}
