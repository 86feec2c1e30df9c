import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';

export interface ConsentRow {
  id: string;
  clientId: string;
  grantId: string;
  scopes: string[];
  resource: string;
  createdAt: Date;
  updatedAt: Date;
}

const COLUMNS = 'id, client_id AS "clientId", grant_id AS "grantId", scopes, resource, created_at AS "createdAt", updated_at AS "updatedAt"';

/** Remembered approvals (`consents`): one active row per user, client and resource. */
@Injectable()
export class ConsentRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async findActive(tenantId: string, userId: string, clientId: string, resource: string): Promise<ConsentRow | undefined> {
    const { rows } = await this.pg.query<ConsentRow>(
      `SELECT ${COLUMNS} FROM consents
        WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3 AND resource = $4 AND revoked_at IS NULL
        ORDER BY updated_at DESC LIMIT 1`,
      [tenantId, userId, clientId, resource],
    );
    return rows[0];
  }

  /**
   * Records an approval: widens the active row's scopes (and points it at the current grant) or inserts one.
   * `toolVersions` (`"<server>/<tool>": approved hash`) are the tool versions the user was shown; a later
   * approval adds to them (a tool approved again at a new version keeps the newest).
   */
  async record(input: { tenantId: string; userId: string; clientId: string; resource: string; scopes: string[]; grantId: string; toolVersions?: Record<string, string> }): Promise<ConsentRow> {
    const existing = await this.findActive(input.tenantId, input.userId, input.clientId, input.resource);
    const versions = JSON.stringify(input.toolVersions ?? {});
    if (existing) {
      const scopes = [...new Set([...existing.scopes, ...input.scopes])].sort();
      const { rows } = await this.pg.query<ConsentRow>(
        `UPDATE consents SET scopes = $3, grant_id = $4, tool_versions = tool_versions || $5::jsonb, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${COLUMNS}`,
        [input.tenantId, existing.id, scopes, input.grantId, versions],
      );
      return rows[0]!;
    }
    const { rows } = await this.pg.query<ConsentRow>(
      `INSERT INTO consents (id, tenant_id, user_id, client_id, grant_id, scopes, resource, tool_versions, created_at, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7::jsonb, now(), now()) RETURNING ${COLUMNS}`,
      [input.tenantId, input.userId, input.clientId, input.grantId, [...new Set(input.scopes)].sort(), input.resource, versions],
    );
    return rows[0]!;
  }

  async listActive(tenantId: string, userId: string): Promise<ConsentRow[]> {
    const { rows } = await this.pg.query<ConsentRow>(
      `SELECT ${COLUMNS} FROM consents WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL ORDER BY updated_at DESC`,
      [tenantId, userId],
    );
    return rows;
  }

  async findActiveById(tenantId: string, userId: string, id: string): Promise<ConsentRow | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
    const { rows } = await this.pg.query<ConsentRow>(
      `SELECT ${COLUMNS} FROM consents WHERE tenant_id = $1 AND user_id = $2 AND id = $3 AND revoked_at IS NULL`,
      [tenantId, userId, id],
    );
    return rows[0];
  }

  /** Idempotent; GrantRevoker does this too, the account page does it again so the list is right at once. */
  async markRevoked(tenantId: string, grantId: string): Promise<void> {
    await this.pg.query('UPDATE consents SET revoked_at = now(), updated_at = now() WHERE tenant_id = $1 AND grant_id = $2 AND revoked_at IS NULL', [
      tenantId,
      grantId,
    ]);
  }
}
