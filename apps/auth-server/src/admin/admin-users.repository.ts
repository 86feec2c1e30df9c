import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';
import { decodeCursor, decodeTimeIdCursor, page, timeIdKey, type Page } from './admin-paging.js';
import { escapeLike } from './admin-tenants.repository.js';

export interface UserView {
  id: string;
  email: string;
  displayName: string | null;
  disabled: boolean;
  /** False after "reset sign-in": no password works until an admin sets one. */
  passwordSet: boolean;
  createdAt: Date;
}

const COLUMNS = `id, email, display_name AS "displayName", disabled_at IS NOT NULL AS disabled, password_hash <> '' AS "passwordSet", created_at AS "createdAt"`;

export interface UserFilter {
  /** Case-insensitive prefix of the email or the display name (indexed: `users_tenant_email_prefix_idx`, `users_tenant_name_prefix_idx`). */
  q?: string | undefined;
  disabled?: boolean | undefined;
  /** `email` (A to Z, the default) or `created` (newest first, keyset on (created_at, id)). */
  sort?: 'email' | 'created' | undefined;
}

/** The `users` table for the admin API. Lists are keyset-paged on the email (unique per tenant). */
@Injectable()
export class AdminUsersRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async list(tenantId: string, filter: UserFilter, limit: number, cursor: string | undefined): Promise<Page<UserView>> {
    const q = filter.q ? escapeLike(filter.q.toLowerCase()) : null;
    const where = `tenant_id = $1 AND ($2::text IS NULL OR lower(email) LIKE $2 || '%' OR lower(display_name) LIKE $2 || '%')
         AND ($3::boolean IS NULL OR (disabled_at IS NOT NULL) = $3)`;
    if (filter.sort === 'created') {
      const after = decodeTimeIdCursor(cursor);
      const { rows } = await this.pg.query<UserView>(
        `SELECT ${COLUMNS} FROM users WHERE ${where} AND ($4::timestamptz IS NULL OR (created_at, id) < ($4::timestamptz, $5::uuid))
         ORDER BY created_at DESC, id DESC LIMIT $6`,
        [tenantId, q, filter.disabled ?? null, after?.at ?? null, after?.id ?? null, limit + 1],
      );
      return page(rows, limit, (row) => timeIdKey(row.createdAt, row.id));
    }
    const { rows } = await this.pg.query<UserView>(
      `SELECT ${COLUMNS} FROM users WHERE ${where} AND email > $4 ORDER BY email LIMIT $5`,
      [tenantId, q, filter.disabled ?? null, decodeCursor(cursor) ?? '', limit + 1],
    );
    return page(rows, limit, (row) => row.email);
  }

  async find(tenantId: string, id: string): Promise<UserView | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const { rows } = await this.pg.query<UserView>(`SELECT ${COLUMNS} FROM users WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return rows[0];
  }

  async update(tenantId: string, id: string, patch: { displayName?: string | null | undefined; passwordHash?: string | undefined; disabled?: boolean | undefined }): Promise<UserView | undefined> {
    const { rows } = await this.pg.query<UserView>(
      `UPDATE users SET
         display_name = CASE WHEN $3 THEN $4 ELSE display_name END,
         password_hash = COALESCE($5, password_hash),
         disabled_at = CASE WHEN $6::boolean IS NULL THEN disabled_at WHEN $6 THEN COALESCE(disabled_at, now()) ELSE NULL END,
         updated_at = now()
       WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
      [tenantId, id, patch.displayName !== undefined, patch.displayName ?? null, patch.passwordHash ?? null, patch.disabled ?? null],
    );
    return rows[0];
  }

  /** "Reset sign-in": the password is cleared (an empty hash verifies no password), until an admin sets a new one. */
  async clearPassword(tenantId: string, id: string): Promise<UserView | undefined> {
    const { rows } = await this.pg.query<UserView>(`UPDATE users SET password_hash = '', updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`, [tenantId, id]);
    return rows[0];
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM users WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return result.rowCount === 1;
  }
}
