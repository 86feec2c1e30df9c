import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';
import { looksLikeClientIdUrl } from '../client-metadata/client-id-url.js';

export type ClientKind = 'admin' | 'dynamic' | 'metadata_document';

export interface ClientListing {
  clientId: string;
  kind: ClientKind;
  name: string | undefined;
  redirectHosts: string[];
}

export function redirectHost(uri: string): string {
  const url = URL.parse(uri);
  if (!url) return uri;
  return url.host || `${url.protocol}${url.pathname}`;
}

/** Who registered a client and what it calls itself, from `oauth_clients` (for consent and account pages). */
@Injectable()
export class ClientDirectory {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async list(tenantId: string, clientIds: string[]): Promise<Map<string, ClientListing>> {
    const listings = new Map<string, ClientListing>();
    if (clientIds.length === 0) return listings;
    const { rows } = await this.pg.query<{ clientId: string; kind: ClientKind; metadata: Record<string, unknown> }>(
      `SELECT client_id AS "clientId", kind, metadata FROM oauth_clients WHERE tenant_id = $1 AND client_id = ANY($2::text[])`,
      [tenantId, clientIds],
    );
    for (const row of rows) {
      const uris = Array.isArray(row.metadata['redirect_uris']) ? (row.metadata['redirect_uris'] as unknown[]).filter((u): u is string => typeof u === 'string') : [];
      listings.set(row.clientId, {
        clientId: row.clientId,
        kind: row.kind,
        name: typeof row.metadata['client_name'] === 'string' ? row.metadata['client_name'] : undefined,
        redirectHosts: [...new Set(uris.map(redirectHost))],
      });
    }
    return listings;
  }

  async kindOf(tenantId: string, clientId: string): Promise<ClientKind> {
    const listing = (await this.list(tenantId, [clientId])).get(clientId);
    if (listing) return listing.kind;
    // Not stored: a metadata document not yet cached here, or a client configured in code.
    return looksLikeClientIdUrl(clientId) ? 'metadata_document' : 'admin';
  }
}
