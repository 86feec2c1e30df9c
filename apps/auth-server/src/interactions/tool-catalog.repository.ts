import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';

export interface CatalogTool {
  server: string;
  name: string;
  title: string | null;
  description: string | null;
  requiredScopes: string[];
  /** The tool's approved definition hash (pinned tool definitions): the version the consent screen shows. */
  approvedHash: string | null;
}

/** The gateway's tool catalogue, read for the consent page: what a grant would unlock. */
@Injectable()
export class ToolCatalogRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  /** Tools of the tenant's enabled servers (one server when `serverName` is given) whose required scopes are all in `scopes`. */
  async unlockedBy(tenantId: string, scopes: ReadonlySet<string>, serverName?: string): Promise<CatalogTool[]> {
    const { rows } = await this.pg.query<CatalogTool>(
      `SELECT s.name AS server, t.name, t.title, t.description, t.required_scopes AS "requiredScopes", t.approved_hash AS "approvedHash"
         FROM tools t JOIN upstream_servers s ON s.id = t.server_id
        WHERE t.tenant_id = $1 AND s.tenant_id = $1 AND s.enabled AND ($2::text IS NULL OR s.name = $2)
        ORDER BY s.name, t.name`,
      [tenantId, serverName ?? null],
    );
    return rows.filter((tool) => tool.requiredScopes.every((scope) => scopes.has(scope)));
  }
}
