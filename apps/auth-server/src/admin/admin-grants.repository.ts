import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';
import { decodeTimeIdCursor, page, timeIdKey, type Page } from './admin-paging.js';

/** A user's standing consent to a client (one per grant): what the admin API lists and revokes. */
export interface GrantView {
  grantId: string;
  userId: string;
  clientId: string;
  scopes: string[];
  resource: string;
  createdAt: Date;
  updatedAt: Date;
}

type GrantRow = GrantView & { id: string };
export type GrantOwner = { userId: string } | { clientId: string };

const COLUMNS = `id, grant_id AS "grantId", user_id::text AS "userId", client_id AS "clientId", scopes, resource, created_at AS "createdAt", updated_at AS "updatedAt"`;

/**
 * Grants as the admin API sees them: the `consents` rows not revoked (each names its oidc-provider grant),
 * keyset-paged on (created_at, id). Revoking goes through `GrantRevoker`, which also ends the grant's tokens.
 */
@Injectable()
export class AdminGrantsRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async list(tenantId: string, owner: GrantOwner, limit: number, cursor: string | undefined): Promise<Page<GrantView>> {
    const after = decodeTimeIdCursor(cursor);
    const [column, value] = 'userId' in owner ? ['user_id', owner.userId] : ['client_id', owner.clientId];
    const { rows } = await this.pg.query<GrantRow>(
      `SELECT ${COLUMNS} FROM consents WHERE tenant_id = $1 AND ${column} = $2 AND revoked_at IS NULL
         AND ($3::timestamptz IS NULL OR (created_at, id) > ($3::timestamptz, $4::uuid))
       ORDER BY created_at, id LIMIT $5`,
      [tenantId, value, after?.at ?? null, after?.id ?? null, limit + 1],
    );
    const result = page(rows, limit, (row) => timeIdKey(row.createdAt, row.id));
    return { items: result.items.map(({ id: _id, ...grant }) => grant), nextCursor: result.nextCursor };
  }

  async find(tenantId: string, grantId: string): Promise<GrantView | undefined> {
    const { rows } = await this.pg.query<GrantRow>(`SELECT ${COLUMNS} FROM consents WHERE tenant_id = $1 AND grant_id = $2 AND revoked_at IS NULL`, [tenantId, grantId]);
    const row = rows[0];
    if (!row) return undefined;
    const { id: _id, ...grant } = row;
    return grant;
  }

  /** Every grant of a user or client that may still have live tokens (oidc-provider's Grant rows and the consents naming one). */
  async idsOf(tenantId: string, owner: GrantOwner): Promise<string[]> {
    const [field, consentColumn, value] = 'userId' in owner ? ['accountId', 'user_id::text', owner.userId] : ['clientId', 'client_id', owner.clientId];
    const { rows } = await this.pg.query<{ id: string }>(
      `SELECT id FROM oidc_artifacts WHERE tenant_id = $1 AND model = 'Grant' AND payload->>'${field}' = $2
       UNION SELECT grant_id FROM consents WHERE tenant_id = $1 AND ${consentColumn} = $2 AND revoked_at IS NULL`,
      [tenantId, value],
    );
    return rows.map((row) => row.id);
  }
}
