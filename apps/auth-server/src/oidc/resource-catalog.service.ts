import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { BoundedCache } from '@airlock/platform';
import type { AuthServerConfig } from '@airlock/config';
import { aggregatedMcpUrl, CATALOG_CHANGED_CHANNEL, catalogChangedEventSchema, Scopes, serverMcpUrl, sessionStoreAudience, type CatalogChangedEvent } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import type { HotStore } from '@airlock/redis';
import type { Pool } from 'pg';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { AUTH_CONFIG, HOT_STORE, LOGGER, PG_POOL } from '../infra/infra.tokens.js';
import { ResourceCatalog, type ResourceServerDescription } from './resource-catalog.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { upstreamScopes, type ExchangeTarget } from './token-exchange.grant.js';

/** The audience of admin API tokens. */
export function adminApiAudience(authPublicUrl: string): string {
  return `${authPublicUrl.replace(/\/+$/, '')}/admin/v1`;
}

/**
 * The resources (RFC 8707) a tenant serves: its aggregated MCP endpoint, one endpoint per enabled
 * upstream server, and the session store (for service clients). Anything else is `invalid_target`.
 * Tool scopes come from the tool catalogue the gateway maintains.
 */
@Injectable()
export class DatabaseResourceCatalog extends ResourceCatalog implements OnModuleInit, OnModuleDestroy {
  // Bounded: the key includes the `resource` a request names, which is attacker-chosen.
  private readonly cache: BoundedCache<string, ResourceServerDescription | null>;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(PG_POOL) private readonly pg: Pool,
    @Inject(AUTH_CONFIG) private readonly config: AuthServerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super();
    this.cache = new BoundedCache(8_192, config.resourceCacheMs);
  }

  async onModuleInit(): Promise<void> {
    this.unsubscribe = await this.hot.subscribe(CATALOG_CHANGED_CHANNEL, (message) => {
      const event = parseCatalogChanged(message);
      if (event) this.forget(event.tenant);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.unsubscribe?.();
  }

  /**
   * After an admin change to a tenant's servers or tools: this replica forgets the tenant's resources now,
   * the others and the gateway on CATALOG_CHANGED_CHANNEL. A lost publish is covered by the caches' short
   * lifetimes, so it is logged, not thrown (the change itself is already committed).
   */
  async catalogChanged(tenant: string, server?: string): Promise<void> {
    this.forget(tenant);
    const event: CatalogChangedEvent = { tenant, ...(server ? { server } : {}) };
    await this.hot.publish(CATALOG_CHANGED_CHANNEL, JSON.stringify(event)).catch((error: unknown) => {
      this.logger.warn({ err: error, tenant, server }, 'catalog change not announced; caches catch up when they expire');
    });
  }

  private forget(tenant: string): void {
    const prefix = `${tenant} `;
    for (const key of this.cache.keys()) if (key.startsWith(prefix)) this.cache.delete(key);
  }

  defaultResource(tenant: TenantRecord): string {
    return tenant.slug === ADMIN_TENANT_SLUG ? adminApiAudience(this.config.publicUrl) : aggregatedMcpUrl(this.config.gatewayPublicUrl, tenant.slug);
  }

  async describe(tenant: TenantRecord, resource: string): Promise<ResourceServerDescription | undefined> {
    // Slug first (events name the slug), then the id (a tenant deleted and created again is another one).
    const key = `${tenant.slug} ${tenant.id} ${resource}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const value = await this.lookup(tenant, resource);
    this.cache.set(key, value ?? null);
    return value;
  }

  private async lookup(tenant: TenantRecord, resource: string): Promise<ResourceServerDescription | undefined> {
    if (tenant.slug === ADMIN_TENANT_SLUG) {
      if (resource !== adminApiAudience(this.config.publicUrl)) return undefined;
      return { audience: resource, kind: 'admin-api', label: 'Airlock admin API', scopes: [Scopes.admin], defaultScopes: [Scopes.admin] };
    }
    if (resource === aggregatedMcpUrl(this.config.gatewayPublicUrl, tenant.slug)) {
      const toolScopes = await this.toolScopes(tenant.id);
      return {
        audience: resource,
        kind: 'mcp-aggregated',
        label: `All MCP tools of ${tenant.displayName}`,
        scopes: [Scopes.mcp, ...toolScopes],
        defaultScopes: [Scopes.mcp],
      };
    }
    if (resource === sessionStoreAudience(this.config.sessionStoreUrl)) {
      return {
        audience: resource,
        kind: 'session-store',
        label: 'Airlock session store',
        scopes: [Scopes.sessionsRead, Scopes.sessionsWrite, Scopes.sessionsAdmin],
        defaultScopes: [Scopes.sessionsRead, Scopes.sessionsWrite],
      };
    }
    const prefix = serverMcpUrl(this.config.gatewayPublicUrl, tenant.slug, '');
    const match = /^(.*)\/servers\/\/mcp$/.exec(prefix);
    const base = match?.[1];
    if (!base || !resource.startsWith(`${base}/servers/`) || !resource.endsWith('/mcp')) return undefined;
    const name = resource.slice(`${base}/servers/`.length, -'/mcp'.length);
    if (!name || name.includes('/')) return undefined;
    const { rows } = await this.pg.query<{ id: string }>(
      'SELECT id FROM upstream_servers WHERE tenant_id = $1 AND name = $2 AND enabled',
      [tenant.id, name],
    );
    const server = rows[0];
    if (!server || serverMcpUrl(this.config.gatewayPublicUrl, tenant.slug, name) !== resource) return undefined;
    const toolScopes = await this.toolScopes(tenant.id, server.id);
    return {
      audience: resource,
      kind: 'mcp-server',
      serverName: name,
      label: `${name} (MCP server)`,
      scopes: [Scopes.mcp, ...toolScopes],
      defaultScopes: [Scopes.mcp],
    };
  }

  /** An enabled upstream of the tenant whose credential kind is token exchange and whose URL is `resource`. */
  async exchangeTarget(tenant: TenantRecord, resource: string): Promise<ExchangeTarget | undefined> {
    const { rows } = await this.pg.query<{ id: string; name: string; url: string }>(
      "SELECT id, name, url FROM upstream_servers WHERE tenant_id = $1 AND url = $2 AND enabled AND credential_kind = 'token_exchange'",
      [tenant.id, resource],
    );
    const server = rows[0];
    if (!server) return undefined;
    return { serverName: server.name, resource: server.url, scopes: upstreamScopes(await this.toolScopes(tenant.id, server.id)) };
  }

  private async toolScopes(tenantId: string, serverId?: string): Promise<string[]> {
    const { rows } = await this.pg.query<{ scope: string }>(
      `SELECT DISTINCT unnest(required_scopes) AS scope FROM tools WHERE tenant_id = $1 ${serverId ? 'AND server_id = $2' : ''} ORDER BY 1`,
      serverId ? [tenantId, serverId] : [tenantId],
    );
    return rows.map((row) => row.scope).filter((scope) => scope !== Scopes.mcp);
  }
}

function parseCatalogChanged(message: string): CatalogChangedEvent | undefined {
  try {
    const parsed = catalogChangedEventSchema.safeParse(JSON.parse(message));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
