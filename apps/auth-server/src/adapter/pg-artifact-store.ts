import type { Pool } from 'pg';
import type { ArtifactPayload } from './artifact-kinds.js';

// Durable oidc-provider artifacts in `oidc_artifacts`, with plain pg: these queries run on every refresh
// and on every grant lookup, where Prisma's overhead shows.

interface Row {
  payload: ArtifactPayload;
  consumed_at: Date | null;
}

const epoch = (date: Date) => Math.floor(date.getTime() / 1000);

function withConsumed(row: Row | undefined): ArtifactPayload | undefined {
  if (!row) return undefined;
  return row.consumed_at ? { ...row.payload, consumed: epoch(row.consumed_at) } : row.payload;
}

const LIVE = '(expires_at IS NULL OR expires_at > now())';

export class PgArtifactStore {
  constructor(
    private readonly pg: Pool,
    private readonly tenantId: string,
  ) {}

  async upsert(model: string, id: string, payload: ArtifactPayload, expiresIn: number | undefined): Promise<void> {
    const expiresAt = typeof expiresIn === 'number' ? new Date(Date.now() + expiresIn * 1000) : null;
    // A re-saved artifact is a new version of it: like oidc-provider's memory adapter, it is not consumed.
    await this.pg.query(
      `INSERT INTO oidc_artifacts (tenant_id, model, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)
       ON CONFLICT (tenant_id, model, id) DO UPDATE SET payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id,
         user_code = EXCLUDED.user_code, uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at, consumed_at = NULL`,
      [this.tenantId, model, id, JSON.stringify(payload), payload.grantId ?? null, payload.userCode ?? null, payload.uid ?? null, expiresAt],
    );
  }

  async find(model: string, id: string): Promise<ArtifactPayload | undefined> {
    const { rows } = await this.pg.query<Row>(
      `SELECT payload, consumed_at FROM oidc_artifacts WHERE tenant_id = $1 AND model = $2 AND id = $3 AND ${LIVE}`,
      [this.tenantId, model, id],
    );
    return withConsumed(rows[0]);
  }

  async findBy(model: string, kind: 'uid' | 'user-code', value: string): Promise<ArtifactPayload | undefined> {
    const column = kind === 'uid' ? 'uid' : 'user_code';
    const { rows } = await this.pg.query<Row>(
      `SELECT payload, consumed_at FROM oidc_artifacts WHERE tenant_id = $1 AND model = $2 AND ${column} = $3 AND ${LIVE} LIMIT 1`,
      [this.tenantId, model, value],
    );
    return withConsumed(rows[0]);
  }

  /** True when this call consumed it; false when it was already consumed or does not exist. */
  async consume(model: string, id: string): Promise<boolean> {
    const result = await this.pg.query(
      `UPDATE oidc_artifacts SET consumed_at = now() WHERE tenant_id = $1 AND model = $2 AND id = $3 AND consumed_at IS NULL RETURNING 1`,
      [this.tenantId, model, id],
    );
    return result.rowCount === 1;
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.pg.query('DELETE FROM oidc_artifacts WHERE tenant_id = $1 AND model = $2 AND id = $3', [this.tenantId, model, id]);
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.pg.query('DELETE FROM oidc_artifacts WHERE tenant_id = $1 AND model = $2 AND grant_id = $3', [this.tenantId, model, grantId]);
  }
}
