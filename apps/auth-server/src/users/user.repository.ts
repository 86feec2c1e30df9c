import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';

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

  /** SCIM group names and provider-asserted groups of one user, deduplicated and sorted (at most 100: a token is not a directory). */
  async groupsOf(tenantId: string, id: string): Promise<string[]> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return [];
    const { rows } = await this.pg.query<{ name: string }>(
      `SELECT g.display_name AS name FROM scim_group_members m JOIN scim_groups g ON g.id = m.group_id WHERE g.tenant_id = $1 AND m.user_id = $2
       UNION
       SELECT unnest(groups) AS name FROM federated_identities WHERE tenant_id = $1 AND user_id = $2
       ORDER BY 1 LIMIT 100`,
      [tenantId, id],
    );
    return rows.map((row) => row.name);
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
