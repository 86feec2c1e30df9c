import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { openSecret, sealSecret } from '@airlock/platform';
import { MASTER_KEY, PG_POOL } from '../infra/infra.tokens.js';

export type StoredClientKind = 'admin' | 'dynamic' | 'metadata_document';

const secretContext = (tenantId: string, clientId: string) => `client-secret:${tenantId}:${clientId}`;
const isSealed = (value: string) => value.startsWith('v1.') && value.split('.').length === 4;

/**
 * oidc-provider compares `client_secret` in plaintext, so it cannot be a hash; at rest it is sealed under
 * the master key instead (bound to tenant and client id), and opened only when the client is loaded.
 */
export function sealClientMetadata(masterKey: Buffer, tenantId: string, clientId: string, metadata: Record<string, unknown>): Record<string, unknown> {
  const secret = metadata['client_secret'];
  if (typeof secret !== 'string' || isSealed(secret)) return metadata;
  return { ...metadata, client_secret: sealSecret(masterKey, secret, secretContext(tenantId, clientId)) };
}

export function openClientMetadata(masterKey: Buffer, tenantId: string, clientId: string, metadata: Record<string, unknown>): Record<string, unknown> {
  const secret = metadata['client_secret'];
  // Rows written before secrets were sealed still hold the plaintext.
  if (typeof secret !== 'string' || !isSealed(secret)) return metadata;
  return { ...metadata, client_secret: openSecret(masterKey, secret, secretContext(tenantId, clientId)) };
}

/** Registered clients (`oauth_clients`): admin-created and RFC 7591 dynamic ones, metadata as oidc-provider keeps it. */
@Injectable()
export class ClientStore {
  constructor(
    @Inject(PG_POOL) private readonly pg: Pool,
    @Inject(MASTER_KEY) private readonly masterKey: Buffer,
  ) {}

  async find(tenantId: string, clientId: string): Promise<Record<string, unknown> | undefined> {
    const { rows } = await this.pg.query<{ metadata: Record<string, unknown> }>(
      // A disabled client does not exist for oidc-provider: no tokens, no authorization (invalid_client).
      'SELECT metadata FROM oauth_clients WHERE tenant_id = $1 AND client_id = $2 AND disabled_at IS NULL',
      [tenantId, clientId],
    );
    const metadata = rows[0]?.metadata;
    return metadata ? openClientMetadata(this.masterKey, tenantId, clientId, metadata) : undefined;
  }

  /** Creates or replaces; an existing row keeps its kind (an admin client updated over RFC 7592 stays admin). */
  async upsert(tenantId: string, clientId: string, metadata: Record<string, unknown>, kind: StoredClientKind): Promise<void> {
    await this.pg.query(
      `INSERT INTO oauth_clients (tenant_id, client_id, kind, metadata, updated_at) VALUES ($1, $2, $3, $4, now())
       ON CONFLICT (tenant_id, client_id) DO UPDATE SET metadata = EXCLUDED.metadata, updated_at = now()`,
      [tenantId, clientId, kind, JSON.stringify(sealClientMetadata(this.masterKey, tenantId, clientId, metadata))],
    );
  }

  async destroy(tenantId: string, clientId: string): Promise<boolean> {
    const result = await this.pg.query('DELETE FROM oauth_clients WHERE tenant_id = $1 AND client_id = $2', [tenantId, clientId]);
    return result.rowCount === 1;
  }
}
