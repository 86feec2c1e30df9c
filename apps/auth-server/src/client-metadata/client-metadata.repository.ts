import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';

export interface CachedDocument {
  metadata: Record<string, unknown>;
  staleAt: Date;
}

/** Metadata-document clients in `oauth_clients` (kind metadata_document): a durable cache, and what the account page names. */
@Injectable()
export class ClientMetadataRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async find(tenantId: string, clientId: string): Promise<CachedDocument | undefined> {
    const { rows } = await this.pg.query<{ metadata: Record<string, unknown>; staleAt: Date }>(
      `SELECT metadata, stale_at AS "staleAt" FROM oauth_clients
        WHERE tenant_id = $1 AND client_id = $2 AND kind = 'metadata_document' AND stale_at IS NOT NULL`,
      [tenantId, clientId],
    );
    return rows[0];
  }

  /** Never overwrites an admin-created or dynamically registered client that happens to share the id. */
  async save(tenantId: string, clientId: string, metadata: Record<string, unknown>, fetchedAt: Date, staleAt: Date): Promise<void> {
    await this.pg.query(
      `INSERT INTO oauth_clients (tenant_id, client_id, kind, metadata, fetched_at, stale_at, created_at, updated_at)
       VALUES ($1, $2, 'metadata_document', $3, $4, $5, now(), now())
       ON CONFLICT (tenant_id, client_id) DO UPDATE
         SET metadata = EXCLUDED.metadata, fetched_at = EXCLUDED.fetched_at, stale_at = EXCLUDED.stale_at, updated_at = now()
       WHERE oauth_clients.kind = 'metadata_document'`,
      [tenantId, clientId, JSON.stringify(metadata), fetchedAt, staleAt],
    );
  }
}
