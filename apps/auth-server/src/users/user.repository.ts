import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';
import type { GroupAccess } from './group-scopes.js';

export interface UserRow {
  id: string;
  tenantId: string;
  email: string;
  displayName: string | null;
  passwordHash: string;
  disabledAt: Date | null;
}

const COLUMNS = 'id, tenant_id AS "tenantId", email, display_name AS "displayName", password_hash AS "passwordHash", disabled_at AS "disabledAt"';

/** Emails compare case-insensitively; they are stored in this form so the unique index does the work. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Plain `pg`: login sits on a user-facing path and Prisma costs ~2.5x per query here (STACK-NOTES). */
@Injectable()
export class UserRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async findByEmail(tenantId: string, email: string): Promise<UserRow | undefined> {
    const { rows } = await this.pg.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND email = $2`, [
      tenantId,
      normalizeEmail(email),
    ]);
    return rows[0];
  }

  async findById(tenantId: string, id: string): Promise<UserRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const { rows } = await this.pg.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return rows[0];
  }

  /**
   * The user's groups now and what the tenant's group mappings make of them, in one query. A mapping
   * without a provider counts a group from any source (SCIM membership or any provider's assertion); a
   * mapping for one provider counts only the groups that provider asserted at the user's last sign-in
   * through it. Group names compare exactly (as the source spells them).
   */
  async groupAccess(tenantId: string, id: string): Promise<GroupAccess> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return { groups: [], governedScopes: new Set(), allowedScopes: new Set() };
    const { rows } = await this.pg.query<{ kind: 'group' | 'scope'; value: string; allowed: boolean }>(
      `WITH member AS (
         SELECT g.display_name AS name, NULL::uuid AS provider_id
           FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id
          WHERE g.tenant_id = $1 AND m.user_id = $2
         UNION
         SELECT unnest(f.groups), f.provider_id FROM federated_identities f WHERE f.tenant_id = $1 AND f.user_id = $2
       )
       SELECT 'group' AS kind, name AS value, true AS allowed FROM (SELECT DISTINCT name FROM member ORDER BY name LIMIT 100) AS named
       UNION ALL
       SELECT 'scope', s.scope, bool_or(EXISTS (SELECT 1 FROM member WHERE member.name = gm.group_name AND (gm.provider_id IS NULL OR gm.provider_id = member.provider_id)))
         FROM group_mappings gm CROSS JOIN LATERAL unnest(gm.scopes) AS s(scope)
        WHERE gm.tenant_id = $1
        GROUP BY s.scope`,
      [tenantId, id],
    );
    const groups: string[] = [];
    const governedScopes = new Set<string>();
    const allowedScopes = new Set<string>();
    for (const row of rows) {
      if (row.kind === 'group') {
        groups.push(row.value);
        continue;
      }
      governedScopes.add(row.value);
      if (row.allowed) allowedScopes.add(row.value);
    }
    return { groups: groups.sort(), governedScopes, allowedScopes };
  }

  async create(input: { tenantId: string; email: string; displayName?: string; passwordHash: string }): Promise<UserRow> {
    const { rows } = await this.pg.query<UserRow>(
      `INSERT INTO users (id, tenant_id, email, display_name, password_hash, created_at, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, now(), now()) RETURNING ${COLUMNS}`,
      [input.tenantId, normalizeEmail(input.email), input.displayName ?? null, input.passwordHash],
    );
    return rows[0]!;
  }

  async updatePasswordHash(tenantId: string, id: string, passwordHash: string): Promise<void> {
    await this.pg.query('UPDATE users SET password_hash = $3, updated_at = now() WHERE tenant_id = $1 AND id = $2', [tenantId, id, passwordHash]);
  }
}
