import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';
import type { ScimFilterTable, SqlCondition } from './scim-filter-sql.js';

export interface ScimGroupRow {
  id: string;
  displayName: string;
  externalId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ScimMemberRow {
  groupId: string;
  userId: string;
  display: string;
}

const COLUMNS = `g.id::text AS id, g.display_name AS "displayName", g.external_id AS "externalId", g.created_at AS "createdAt", g.updated_at AS "updatedAt"`;

export const groupFilterTable: ScimFilterTable = {
  attributes: {
    id: { sql: 'g.id::text', type: 'string', caseExact: true },
    displayname: { sql: 'g.display_name', type: 'string', caseExact: false },
    externalid: { sql: 'g.external_id', type: 'string', caseExact: true },
    'meta.created': { sql: 'g.created_at', type: 'dateTime', caseExact: true },
    'meta.lastmodified': { sql: 'g.updated_at', type: 'dateTime', caseExact: true },
  },
  multiValued: {
    members: {
      subAttributes: { value: { sql: 'gm.user_id::text', type: 'string', caseExact: true } },
      wrap: (condition) => `EXISTS (SELECT 1 FROM scim_group_members gm WHERE gm.group_id = g.id AND ${condition})`,
    },
  },
};

/** The first value that is not a user of this tenant, or undefined when all are (members must be). */
export type MemberCheck = { unknown: string } | { ok: true };

/**
 * A tenant's SCIM groups and their members (users of the same tenant). Member changes are written as
 * differences inside one transaction with the group row, so a concurrent PATCH cannot lose one.
 */
@Injectable()
export class ScimGroupsRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async list(tenantId: string, where: SqlCondition | undefined, offset: number, limit: number): Promise<{ total: number; rows: ScimGroupRow[] }> {
    const condition = where ? `AND ${where.sql}` : '';
    const params = [tenantId, ...(where?.params ?? [])];
    const counted = await this.pg.query<{ total: string }>(`SELECT count(*) AS total FROM scim_groups g WHERE g.tenant_id = $1 ${condition}`, params);
    const total = Number(counted.rows[0]?.total ?? 0);
    if (limit === 0 || offset >= total) return { total, rows: [] };
    const { rows } = await this.pg.query<ScimGroupRow>(
      `SELECT ${COLUMNS} FROM scim_groups g WHERE g.tenant_id = $1 ${condition} ORDER BY g.created_at, g.id OFFSET $${params.length + 1} LIMIT $${params.length + 2}`,
      [...params, offset, limit],
    );
    return { total, rows };
  }

  async find(tenantId: string, id: string): Promise<ScimGroupRow | undefined> {
    const { rows } = await this.pg.query<ScimGroupRow>(`SELECT ${COLUMNS} FROM scim_groups g WHERE g.tenant_id = $1 AND g.id = $2`, [tenantId, id]);
    return rows[0];
  }

  async membersOf(groupIds: readonly string[]): Promise<Map<string, ScimMemberRow[]>> {
    const result = new Map<string, ScimMemberRow[]>();
    if (groupIds.length === 0) return result;
    const { rows } = await this.pg.query<ScimMemberRow>(
      `SELECT gm.group_id::text AS "groupId", gm.user_id::text AS "userId", coalesce(u.display_name, u.email) AS display
       FROM scim_group_members gm JOIN users u ON u.id = gm.user_id WHERE gm.group_id = ANY($1::uuid[]) ORDER BY u.created_at, u.id`,
      [groupIds],
    );
    for (const row of rows) result.set(row.groupId, [...(result.get(row.groupId) ?? []), row]);
    return result;
  }

  /** Whether every id names a user of this tenant (ids are checked as uuids by the caller). */
  async checkMembers(tenantId: string, userIds: readonly string[]): Promise<MemberCheck> {
    if (userIds.length === 0) return { ok: true };
    const { rows } = await this.pg.query<{ id: string }>('SELECT id::text AS id FROM users WHERE tenant_id = $1 AND id = ANY($2::uuid[])', [tenantId, userIds]);
    const found = new Set(rows.map((row) => row.id));
    const unknown = userIds.find((id) => !found.has(id));
    return unknown === undefined ? { ok: true } : { unknown };
  }

  async create(tenantId: string, fields: { displayName: string; externalId: string | null }, memberIds: readonly string[]): Promise<ScimGroupRow> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<ScimGroupRow>(
        `INSERT INTO scim_groups AS g (id, tenant_id, display_name, external_id, updated_at) VALUES (gen_random_uuid(), $1, $2, $3, now()) RETURNING ${COLUMNS}`,
        [tenantId, fields.displayName, fields.externalId],
      );
      const group = rows[0]!;
      await addMembers(client, group.id, memberIds);
      return group;
    });
  }

  /** Changes name/externalId and applies member differences; undefined when the group is gone. */
  async update(
    tenantId: string,
    id: string,
    fields: { displayName: string; externalId: string | null },
    members: { add: readonly string[]; remove: readonly string[] },
  ): Promise<ScimGroupRow | undefined> {
    return this.transaction(async (client) => {
      const { rows } = await client.query<ScimGroupRow>(
        `UPDATE scim_groups AS g SET display_name = $3, external_id = $4, updated_at = now() WHERE g.tenant_id = $1 AND g.id = $2 RETURNING ${COLUMNS}`,
        [tenantId, id, fields.displayName, fields.externalId],
      );
      const group = rows[0];
      if (!group) return undefined;
      if (members.remove.length > 0) await client.query('DELETE FROM scim_group_members WHERE group_id = $1 AND user_id = ANY($2::uuid[])', [id, members.remove]);
      await addMembers(client, id, members.add);
      return group;
    });
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM scim_groups WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return result.rowCount === 1;
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pg.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

async function addMembers(client: PoolClient, groupId: string, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  await client.query(
    'INSERT INTO scim_group_members (group_id, user_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING',
    [groupId, userIds],
  );
}
