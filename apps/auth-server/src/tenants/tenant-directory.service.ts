import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { RegistrationPolicy } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import { HOT_STORE } from '../infra/infra.tokens.js';
import type { TenantRecord } from './tenant-record.js';
import { BoundedCache } from './bounded-cache.js';
import { TenantRepository } from './tenant.repository.js';

/** Published (tenant slug) when a tenant's settings or keys change, so every replica drops its caches. */
export const TENANT_CHANGED_CHANNEL = 'airlock:events:auth-tenant-changed';

const CACHE_MS = 30_000;

type Listener = (slug: string) => void;

/**
 * Tenant lookup by slug with a short cache (every request under /t/<slug> needs it). Changes made
 * through the admin API call `changed(slug)`, which reaches every replica through the hot store's
 * pub/sub; the cache's short lifetime covers a lost message.
 */
@Injectable()
export class TenantDirectory implements OnModuleInit, OnModuleDestroy {
  // Bounded: unknown slugs are cached too (as misses), and anyone can send those.
  private readonly cache = new BoundedCache<string, TenantRecord | null>(4_096, CACHE_MS);
  private readonly listeners = new Set<Listener>();
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly repository: TenantRepository,
    @Inject(HOT_STORE) private readonly hot: HotStore,
  ) {}

  async onModuleInit(): Promise<void> {
    this.unsubscribe = await this.hot.subscribe(TENANT_CHANGED_CHANNEL, (slug) => this.forget(slug));
  }

  async onModuleDestroy(): Promise<void> {
    await this.unsubscribe?.();
  }

  async findBySlug(slug: string): Promise<TenantRecord | undefined> {
    const hit = this.cache.get(slug);
    if (hit !== undefined) return hit ?? undefined;
    const tenant = await this.repository.findBySlug(slug);
    this.cache.set(slug, tenant ?? null);
    return tenant;
  }

  /** Reads the database, not the cache, and refreshes the cache with the answer (see TenantResolver's `fresh`). */
  async findFresh(slug: string): Promise<TenantRecord | undefined> {
    const tenant = await this.repository.findBySlug(slug);
    this.cache.set(slug, tenant ?? null);
    return tenant;
  }

  /** Creates the tenant when missing (bootstrap); returns it either way. */
  async ensure(slug: string, displayName: string, registrationPolicy: RegistrationPolicy = 'open'): Promise<TenantRecord> {
    const tenant = await this.repository.ensure(slug, displayName, registrationPolicy);
    this.cache.set(slug, tenant);
    return tenant;
  }

  /** Called after a tenant (or its keys) changed; every replica forgets it. */
  async changed(slug: string): Promise<void> {
    this.forget(slug);
    await this.hot.publish(TENANT_CHANGED_CHANNEL, slug);
  }

  onChange(listener: Listener): void {
    this.listeners.add(listener);
  }

  private forget(slug: string): void {
    this.cache.delete(slug);
    for (const listener of this.listeners) listener(slug);
  }
}
