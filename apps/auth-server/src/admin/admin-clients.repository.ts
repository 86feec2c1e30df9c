import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';
import { decodeCursor, page, type Page } from './admin-paging.js';
import { escapeLike } from './admin-tenants.repository.js';

export interface ClientRow {
  clientId: string;
  kind: string;
  metadata: Record<string, unknown>;
  disabled: boolean;
  lastUsedAt: Date | null;
  createdAt: Date;
}

export interface ClientFilter {
  /** A client id prefix. */
  q?: string | undefined;
  kind?: string | undefined;
  disabled?: boolean | undefined;
}

const COLUMNS = `client_id AS "clientId", kind, metadata, disabled_at IS NOT NULL AS disabled, last_used_at AS "lastUsedAt", created_at AS "createdAt"`;

/** The `oauth_clients` table for the admin API (every registration path). Lists are keyset-paged on the client id. */
@Injectable()
export class AdminClientsRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async list(tenantId: string, filter: ClientFilter, limit: number, cursor: string | undefined): Promise<Page<ClientRow>> {
    const { rows } = await this.pg.query<ClientRow>(
      `SELECT ${COLUMNS} FROM oauth_clients
       WHERE tenant_id = $1 AND client_id > $2 AND ($3::text IS NULL OR client_id LIKE $3 || '%')
         AND ($4::text IS NULL OR kind::text = $4) AND ($5::boolean IS NULL OR (disabled_at IS NOT NULL) = $5)
       ORDER BY client_id LIMIT $6`,
      [tenantId, decodeCursor(cursor) ?? '', filter.q ? escapeLike(filter.q) : null, filter.kind ?? null, filter.disabled ?? null, limit + 1],
    );
    return page(rows, limit, (row) => row.clientId);
  }

  async find(tenantId: string, clientId: string): Promise<ClientRow | undefined> {
    const { rows } = await this.pg.query<ClientRow>(`SELECT ${COLUMNS} FROM oauth_clients WHERE tenant_id = $1 AND client_id = $2`, [tenantId, clientId]);
    return rows[0];
  }

  /** False when the id is taken. */
  async insert(tenantId: string, clientId: string, metadata: Record<string, unknown>): Promise<boolean> {
    const result = await this.pg.query(
      `INSERT INTO oauth_clients (tenant_id, client_id, kind, metadata, updated_at) VALUES ($1, $2, 'admin', $3, now()) ON CONFLICT DO NOTHING`,
      [tenantId, clientId, JSON.stringify(metadata)],
    );
    return result.rowCount === 1;
  }

  async setDisabled(tenantId: string, clientId: string, disabled: boolean): Promise<boolean> {
    const result = await this.pg.query(
      `UPDATE oauth_clients SET disabled_at = CASE WHEN $3 THEN coalesce(disabled_at, now()) ELSE NULL END, updated_at = now() WHERE tenant_id = $1 AND client_id = $2`,
      [tenantId, clientId, disabled],
    );
    return result.rowCount === 1;
  }

  async delete(tenantId: string, clientId: string): Promise<boolean> {
    // Its pre-approval goes with it: a client registered again under the id is not pre-approved.
    const result = await this.pg.query(
      'WITH approval AS (DELETE FROM client_pre_approvals WHERE tenant_id = $1 AND client_id = $2) DELETE FROM oauth_clients WHERE tenant_id = $1 AND client_id = $2',
      [tenantId, clientId],
    );
    return result.rowCount === 1;
  }

  async markUsed(tenantId: string, clientId: string): Promise<void> {
    await this.pg.query('UPDATE oauth_clients SET last_used_at = now() WHERE tenant_id = $1 AND client_id = $2', [tenantId, clientId]);
  }
}
