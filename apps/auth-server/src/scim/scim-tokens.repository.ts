import { createHash, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';

export interface ScimTokenRow {
  id: string;
  tenantId: string;
  tokenHash: string;
  createdAt: Date;
  lastUsedAt: Date | null;
}

/** Tokens look like `scim_<43 base64url chars>` (256 random bits); only the SHA-256 is kept. */
const TOKEN_PREFIX = 'scim_';

export const hashScimToken = (token: string): string => createHash('sha256').update(token).digest('base64url');

/** A tenant's SCIM bearer tokens: made (secret returned once), listed, revoked, and found by hash. */
@Injectable()
export class ScimTokensRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async create(tenantId: string): Promise<{ row: ScimTokenRow; token: string }> {
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const { rows } = await this.pg.query<ScimTokenRow>(
      `INSERT INTO scim_tokens (id, tenant_id, token_hash) VALUES (gen_random_uuid(), $1, $2)
       RETURNING id::text, tenant_id::text AS "tenantId", token_hash AS "tokenHash", created_at AS "createdAt", last_used_at AS "lastUsedAt"`,
      [tenantId, hashScimToken(token)],
    );
    return { row: rows[0]!, token };
  }

  async list(tenantId: string): Promise<ScimTokenRow[]> {
    const { rows } = await this.pg.query<ScimTokenRow>(
      `SELECT id::text, tenant_id::text AS "tenantId", token_hash AS "tokenHash", created_at AS "createdAt", last_used_at AS "lastUsedAt"
       FROM scim_tokens WHERE tenant_id = $1 ORDER BY created_at, id`,
      [tenantId],
    );
    return rows;
  }

  async revoke(tenantId: string, id: string): Promise<ScimTokenRow | undefined> {
    const { rows } = await this.pg.query<ScimTokenRow>(
      `DELETE FROM scim_tokens WHERE tenant_id = $1 AND id = $2
       RETURNING id::text, tenant_id::text AS "tenantId", token_hash AS "tokenHash", created_at AS "createdAt", last_used_at AS "lastUsedAt"`,
      [tenantId, id],
    );
    return rows[0];
  }

  async findByHash(tokenHash: string): Promise<ScimTokenRow | undefined> {
    const { rows } = await this.pg.query<ScimTokenRow>(
      `SELECT id::text, tenant_id::text AS "tenantId", token_hash AS "tokenHash", created_at AS "createdAt", last_used_at AS "lastUsedAt"
       FROM scim_tokens WHERE token_hash = $1`,
      [tokenHash],
    );
    return rows[0];
  }

  /** Records use at most once a minute per token (a provisioning run sends thousands of requests). */
  async touch(id: string): Promise<void> {
    await this.pg.query(`UPDATE scim_tokens SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`, [id]);
  }
}
