import type { Pool } from 'pg';
import { TENANT_CHANGED_CHANNEL, type RegistrationPolicy } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import { BoundedCache } from './bounded-cache.js';

/** A `tenants` row as every app reads it; each app keeps the fields it needs. */
export interface TenantRow {
  id: string;
  slug: string;
  displayName: string;
  registrationPolicy: RegistrationPolicy;
  /** Access-token lifetime in seconds. */
  accessTokenTtl: number;
  /** Free-form tenant settings (e.g. `allowedOrigins` for the gateway). */
  settings: Record<string, unknown>;
}

export class UnknownTenantError extends Error {
  constructor(readonly slug: string) {
    super(`no tenant with slug ${slug}`);
    this.name = 'UnknownTenantError';
  }
}

export interface TenantDirectoryOptions {
  /** Where `changed` is published and listened for; without it the directory is process-local. */
  hot?: HotStore;
  /** How long a lookup (or a miss) is trusted without an event; bounds how long a lost event goes unnoticed. 30 s by default. */
  cacheMs?: number;
  /** Bound on cached slugs: misses are cached too, and anyone can send unknown slugs. */
  maxEntries?: number;
  onError?: (error: unknown) => void;
}

type Listener = (slug: string) => void;

const SELECT = `SELECT id, slug, display_name AS "displayName", registration_policy AS "registrationPolicy",
                       access_token_ttl AS "accessTokenTtl", COALESCE(settings, '{}'::jsonb) AS settings
                  FROM tenants WHERE slug = $1`;

/**
 * Tenant slug (what URLs, tokens and events carry) to the tenant row, for every app: a bounded cache with
 * a lifetime, dropped on every replica through `TENANT_CHANGED_CHANNEL` (the auth server's admin API calls
 * `changed` after each change). A read that started before a drop does not cache what it read.
 */
export class TenantDirectory {
  private readonly cache: BoundedCache<string, TenantRow | null>;
  private readonly listeners = new Set<Listener>();
  /** Bumped on every drop: a read that started before it must not cache what it read. */
  private generation = 0;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly pg: Pick<Pool, 'query'>,
    private readonly options: TenantDirectoryOptions = {},
  ) {
    this.cache = new BoundedCache(options.maxEntries ?? 4_096, options.cacheMs ?? 30_000);
  }

  async start(): Promise<void> {
    if (!this.options.hot || this.unsubscribe) return;
    this.unsubscribe = await this.options.hot.subscribe(TENANT_CHANGED_CHANNEL, (slug) => this.forget(slug), {
      // Events may have been lost while the subscription was down.
      onResubscribed: () => this.forgetAll(),
    });
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  async find(slug: string): Promise<TenantRow | undefined> {
    const hit = this.cache.get(slug);
    if (hit !== undefined) return hit ?? undefined;
    return this.findFresh(slug);
  }

  /** Reads the database, not the cache, and refreshes the cache with the answer. */
  async findFresh(slug: string): Promise<TenantRow | undefined> {
    const generation = this.generation;
    const { rows } = await this.pg.query<TenantRow>(SELECT, [slug]);
    const row = rows[0];
    if (generation === this.generation) this.cache.set(slug, row ?? null);
    return row;
  }

  /** The tenant's row id (what durable rows reference); UnknownTenantError when there is none. */
  async idOf(slug: string): Promise<string> {
    const row = await this.find(slug);
    if (!row) throw new UnknownTenantError(slug);
    return row.id;
  }

  /** Caches a row the caller has just written (bootstrap's `ensure`). */
  remember(row: TenantRow): void {
    this.cache.set(row.slug, row);
  }

  /** Called after a tenant changed; every replica forgets it. */
  async changed(slug: string): Promise<void> {
    this.forget(slug);
    await this.options.hot?.publish(TENANT_CHANGED_CHANNEL, slug);
  }

  /** Runs on every drop of a slug, here or on another replica (caches built on the tenant drop theirs). */
  onChange(listener: Listener): void {
    this.listeners.add(listener);
  }

  /** Drops one slug in this process. */
  forget(slug: string): void {
    this.generation += 1;
    this.cache.delete(slug);
    this.notify(slug);
  }

  /** Drops every slug in this process (after a lost subscription, when events may have been missed). */
  forgetAll(): void {
    this.generation += 1;
    const slugs = this.cache.keys();
    this.cache.clear();
    for (const slug of slugs) this.notify(slug);
  }

  private notify(slug: string): void {
    for (const listener of this.listeners) {
      try {
        listener(slug);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }
}
