import type { Pool } from 'pg';

export type StoredClientKind = 'admin' | 'dynamic' | 'metadata_document';

/** Registered clients (`oauth_clients`): admin-created and RFC 7591 dynamic ones, metadata as oidc-provider keeps it. */
export class ClientStore {
  constructor(private readonly pg: Pool) {}

  async find(tenantId: string, clientId: string): Promise<Record<string, unknown> | undefined> {
    const { rows } = await this.pg.query<{ metadata: Record<string, unknown> }>(
      'SELECT metadata FROM oauth_clients WHERE tenant_id = $1 AND client_id = $2',
      [tenantId, clientId],
    );
    return rows[0]?.metadata;
  }

  /** Creates or replaces; an existing row keeps its kind (an admin client updated over RFC 7592 stays admin). */
  async upsert(tenantId: string, clientId: string, metadata: Record<string, unknown>, kind: StoredClientKind): Promise<void> {
    await this.pg.query(
      `INSERT INTO oauth_clients (tenant_id, client_id, kind, metadata, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (tenant_id, client_id) DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = now()`,
      [tenantId, clientId, kind, JSON.stringify(metadata)],
    );
  }

  async destroy(tenantId: string, clientId: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM oauth_clients WHERE tenant_id = $1 AND client_id = $2', [tenantId, clientId]);
    return result.rowCount === 1;
  }
}
