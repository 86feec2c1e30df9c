import type { Infra } from '@airlock/platform';

/** One MCP server the demo tenant hosts, with its tool catalogue (the consent screen and per-tool scopes). */
export interface DemoUpstream {
  name: string;
  transport: 'http' | 'stdio';
  url?: string;
  command?: string;
  args?: string[];
  /** Stdio only: run in the gateway's bubblewrap sandbox (the default), seeing `readOnlyPaths` besides the system. */
  sandbox?: boolean;
  readOnlyPaths?: string[];
  tools: Array<{ name: string; title?: string; description?: string; requiredScopes: string[] }>;
}

/**
 * Writes the demo tenant's upstream servers and their catalogues, idempotently: where each server runs
 * (url, command, args) follows the launcher on every start (a moved checkout or another port), while a
 * tool already catalogued keeps whatever scopes an admin gave it since.
 */
export async function seedDemoUpstreams(pg: Infra['pg'], tenantId: string, upstreams: readonly DemoUpstream[]): Promise<void> {
  for (const upstream of upstreams) {
    const { rows } = await pg.query<{ id: string }>(
      `INSERT INTO upstream_servers (id, tenant_id, name, transport, url, command, args, sandbox, read_only_paths, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3::"UpstreamTransport", $4, $5, $6, $7, $8, now())
       ON CONFLICT (tenant_id, name) DO UPDATE SET transport = EXCLUDED.transport, url = EXCLUDED.url, command = EXCLUDED.command, args = EXCLUDED.args,
         sandbox = EXCLUDED.sandbox, read_only_paths = EXCLUDED.read_only_paths, updated_at = now()
       RETURNING id`,
      [tenantId, upstream.name, upstream.transport, upstream.url ?? null, upstream.command ?? null, upstream.args ?? [], upstream.sandbox ?? true, upstream.readOnlyPaths ?? []],
    );
    const serverId = rows[0]!.id;
    for (const tool of upstream.tools) {
      await pg.query(
        `INSERT INTO tools (id, tenant_id, server_id, name, title, description, required_scopes, updated_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, now())
         ON CONFLICT (server_id, name) DO NOTHING`,
        [tenantId, serverId, tool.name, tool.title ?? null, tool.description ?? null, tool.requiredScopes],
      );
    }
  }
}
