import type { Pool } from 'pg';
import { CATALOG_CHANGED_CHANNEL, catalogChangedEventSchema } from '@airlock/contracts';
import { TenantDirectory } from '@airlock/platform';
import type { HotStore } from '@airlock/redis';
import { pinningPolicy } from './tool-definition.js';
import type { PinningPolicy, ToolPin, ToolSighting } from './tool-definition.js';

export interface UpstreamServerRecord {
  id: string;
  tenantId: string;
  name: string;
  transport: 'http' | 'stdio';
  url: string | null;
  command: string | null;
  args: string[];
  secretsEncrypted: string | null;
  credentialKind: 'none' | 'static_header' | 'client_credentials' | 'token_exchange' | 'oauth_user';
  /** The era to speak: detected (`upstream_servers.protocol_version`) or, once resolved by UpstreamEras, the one in use. */
  protocolVersion: string | null;
  /** stdio: run in the bubblewrap sandbox (false: the operator opted this server out). */
  sandbox: boolean;
  /** stdio: extra host paths bound read-only into the sandbox. */
  readOnlyPaths: string[];
  /** The admin's pin: auto | 2025-11-25 | 2026-07-28 (absent in records built by hand: auto). */
  protocolEra?: string;
  /** Changes on every admin update: a detected era belongs to one configuration. */
  updatedAt?: Date;
}

export interface TenantRecord {
  id: string;
  slug: string;
  /** Browser origins allowed to call this tenant's endpoints (tenant settings `allowedOrigins`). */
  allowedOrigins: string[];
  /** How changed tool definitions are handled (tenant settings `toolPinning`; see tool-definition.ts). */
  toolPinning: PinningPolicy;
}

interface Cached<T> {
  at: number;
  value: T;
}

/**
 * What each tenant's MCP endpoints offer: its hosted servers and their tool catalogue, read with plain pg
 * (Prisma stays off the request path) and cached for `cacheMs`, over the shared TenantDirectory
 * (@airlock/platform) for the slug lookup. The auth server publishes `CATALOG_CHANGED_CHANNEL` on every
 * admin change (servers, tools, scopes, tenant deletion) and `TENANT_CHANGED_CHANNEL` on tenant changes;
 * every replica then drops what it holds for that tenant, so the change applies at once and `cacheMs`
 * only bounds how long a lost event can go unnoticed.
 */
export class TenantCatalog {
  private readonly tenants: TenantDirectory;
  private readonly servers = new Map<string, Cached<UpstreamServerRecord[]>>();
  private readonly scopes = new Map<string, Cached<Map<string, string[]>>>();
  /** Ids outlive cache entries, so an event for a slug still finds what is cached under the tenant's id. */
  private readonly tenantIds = new Map<string, string>();
  private readonly serverTenants = new Map<string, string>();
  /** Bumped on every drop: a read that started before it must not cache what it read. */
  private generation = 0;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly pg: Pool,
    private readonly options: { hot?: HotStore; cacheMs?: number; onError?: (error: unknown) => void } = {},
  ) {
    this.tenants = new TenantDirectory(pg, { ...options, cacheMs: this.cacheMs });
    // A tenant dropped by a tenant event (here or on another replica) takes its catalogue with it.
    this.tenants.onChange((slug) => this.forgetCatalog(slug));
  }

  private get cacheMs(): number {
    return this.options.cacheMs ?? 5_000;
  }

  async start(): Promise<void> {
    await this.tenants.start();
    if (!this.options.hot) return;
    this.unsubscribe = await this.options.hot.subscribe(
      CATALOG_CHANGED_CHANNEL,
      (message) => {
        try {
          this.forget(catalogChangedEventSchema.parse(JSON.parse(message)).tenant);
        } catch (error) {
          // A malformed event still means something changed: drop everything rather than serve stale data.
          this.forgetAll();
          this.options.onError?.(error);
        }
      },
      // Events may have been lost while the subscription was down.
      { onResubscribed: () => this.forgetAll() },
    );
  }

  async close(): Promise<void> {
    await this.tenants.close();
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** Drops every cached record of one tenant (by slug). */
  forget(slug: string): void {
    // The directory's change listener (set in the constructor) drops the catalogue too.
    this.tenants.forget(slug);
  }

  private forgetCatalog(slug: string): void {
    this.generation += 1;
    const tenantId = this.tenantIds.get(slug);
    if (tenantId === undefined) return;
    this.servers.delete(tenantId);
    for (const [serverId, owner] of this.serverTenants) {
      if (owner === tenantId) this.scopes.delete(serverId);
    }
  }

  forgetAll(): void {
    this.tenants.forgetAll();
    this.generation += 1;
    this.servers.clear();
    this.scopes.clear();
  }

  private fresh<T>(entry: Cached<T> | undefined): entry is Cached<T> {
    return entry !== undefined && Date.now() - entry.at < this.cacheMs;
  }

  private remember<K, T>(cache: Map<K, Cached<T>>, key: K, value: T, generation: number): void {
    if (generation === this.generation) cache.set(key, { at: Date.now(), value });
  }

  async tenant(slug: string): Promise<TenantRecord | undefined> {
    const row = await this.tenants.find(slug);
    if (!row) return undefined;
    this.tenantIds.set(slug, row.id);
    const origins = row.settings['allowedOrigins'];
    return {
      id: row.id,
      slug: row.slug,
      allowedOrigins: Array.isArray(origins) ? origins.filter((o): o is string => typeof o === 'string') : [],
      toolPinning: pinningPolicy(row.settings),
    };
  }

  async upstreamServers(tenantId: string): Promise<UpstreamServerRecord[]> {
    const cached = this.servers.get(tenantId);
    if (this.fresh(cached)) return cached.value;
    const generation = this.generation;
    const { rows } = await this.pg.query<UpstreamServerRecord>(
      `SELECT id, tenant_id AS "tenantId", name, transport, url, command, args, secrets_encrypted AS "secretsEncrypted",
              credential_kind AS "credentialKind", protocol_version AS "protocolVersion",
              sandbox, COALESCE(read_only_paths, '{}') AS "readOnlyPaths",
              protocol_era AS "protocolEra", updated_at AS "updatedAt"
         FROM upstream_servers WHERE tenant_id = $1 AND enabled ORDER BY name`,
      [tenantId],
    );
    for (const row of rows) this.serverTenants.set(row.id, tenantId);
    this.remember(this.servers, tenantId, rows, generation);
    return rows;
  }

  /**
   * One server by name as stored now, enabled or not, never cached: what a connection test connects to
   * (an admin may test a server before switching it on).
   */
  async upstreamServerForTest(tenantId: string, name: string): Promise<(UpstreamServerRecord & { enabled: boolean }) | undefined> {
    const { rows } = await this.pg.query<UpstreamServerRecord & { enabled: boolean }>(
      `SELECT id, tenant_id AS "tenantId", name, transport, url, command, args, secrets_encrypted AS "secretsEncrypted",
              credential_kind AS "credentialKind", protocol_version AS "protocolVersion",
              sandbox, COALESCE(read_only_paths, '{}') AS "readOnlyPaths",
              protocol_era AS "protocolEra", updated_at AS "updatedAt", enabled
         FROM upstream_servers WHERE tenant_id = $1 AND name = $2`,
      [tenantId, name],
    );
    return rows[0];
  }

  /** Scopes each tool of a server requires, by upstream tool name. */
  async toolScopes(serverId: string): Promise<Map<string, string[]>> {
    const cached = this.scopes.get(serverId);
    if (this.fresh(cached)) return cached.value;
    const generation = this.generation;
    const { rows } = await this.pg.query<{ name: string; required_scopes: string[] | null; enabled: boolean; approved_hash: string | null; seen_hash: string | null }>(
      'SELECT name, required_scopes, enabled, approved_hash, seen_hash FROM tools WHERE server_id = $1',
      [serverId],
    );
    const value = new Map(rows.map((row) => [row.name, row.required_scopes ?? []]));
    if (generation === this.generation) {
      this.disabled.set(serverId, new Set(rows.filter((row) => !row.enabled).map((row) => row.name)));
      this.pins.set(serverId, new Map(rows.map((row) => [row.name, { approvedHash: row.approved_hash, seenHash: row.seen_hash }])));
    }
    this.remember(this.scopes, serverId, value, generation);
    return value;
  }

  /** Tools an admin disabled on a server: absent from tools/list, and unknown to tools/call (read and cached with the scopes). */
  async disabledTools(serverId: string): Promise<ReadonlySet<string>> {
    await this.toolScopes(serverId);
    return this.disabled.get(serverId) ?? new Set();
  }
  private readonly disabled = new Map<string, ReadonlySet<string>>();

  /** Each catalogued tool's approved and last seen definition hash (read and cached with the scopes). */
  async toolPins(serverId: string): Promise<ReadonlyMap<string, ToolPin>> {
    await this.toolScopes(serverId);
    return this.pins.get(serverId) ?? new Map();
  }
  private readonly pins = new Map<string, ReadonlyMap<string, ToolPin>>();

  /** Drops what this process cached of one server's tools (its own writes landed; the next read sees them). */
  forgetTools(serverId: string): void {
    this.generation += 1;
    this.scopes.delete(serverId);
  }

  /**
   * Records one definition the catalogue did not hold, guarded so that concurrent replicas (or sessions)
   * seeing the same change record it once: resolves true when this call changed the row. A tool trusted on
   * first use gets its definition as approved too, and the catalogue's title and description with it; a
   * changed definition only becomes the seen one (the catalogue keeps showing the approved text).
   */
  async recordSighting(server: UpstreamServerRecord, sighting: ToolSighting): Promise<boolean> {
    const definition = JSON.stringify(sighting.definition);
    const { definition: d } = sighting;
    if (sighting.kind === 'first_use') {
      const result = await this.pg.query(
        `INSERT INTO tools (id, tenant_id, server_id, name, title, description, input_schema, approved_hash, approved_definition, approved_at, seen_hash, seen_definition, seen_at, updated_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, now(), $7, $8, now(), now())
         ON CONFLICT (server_id, name) DO UPDATE SET title = EXCLUDED.title, description = EXCLUDED.description, input_schema = EXCLUDED.input_schema,
           approved_hash = EXCLUDED.approved_hash, approved_definition = EXCLUDED.approved_definition, approved_at = now(),
           seen_hash = EXCLUDED.seen_hash, seen_definition = EXCLUDED.seen_definition, seen_at = now(), updated_at = now()
         WHERE tools.approved_hash IS NULL AND tools.seen_hash IS DISTINCT FROM EXCLUDED.seen_hash`,
        [server.tenantId, server.id, sighting.name, d.title ?? null, d.description ?? null, d.inputSchema === undefined ? null : JSON.stringify(d.inputSchema), sighting.hash, definition],
      );
      return result.rowCount === 1;
    }
    const result = await this.pg.query(
      `INSERT INTO tools (id, tenant_id, server_id, name, seen_hash, seen_definition, seen_at, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, now(), now())
       ON CONFLICT (server_id, name) DO UPDATE SET seen_hash = EXCLUDED.seen_hash, seen_definition = EXCLUDED.seen_definition, seen_at = now(), updated_at = now()
       WHERE tools.seen_hash IS DISTINCT FROM EXCLUDED.seen_hash`,
      [server.tenantId, server.id, sighting.name, sighting.hash, definition],
    );
    return result.rowCount === 1;
  }

  /** Every scope a tool of the tenant (or of one server) requires: what the resource metadata advertises. */
  async toolScopeNames(tenantId: string, serverId?: string): Promise<string[]> {
    const { rows } = await this.pg.query<{ scope: string }>(
      `SELECT DISTINCT unnest(required_scopes) AS scope FROM tools WHERE tenant_id = $1 AND ($2::uuid IS NULL OR server_id = $2::uuid) ORDER BY 1`,
      [tenantId, serverId ?? null],
    );
    return rows.map((row) => row.scope);
  }
}
