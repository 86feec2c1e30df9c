import type { Pool } from 'pg';
import { POLICY_CHANGED_CHANNEL } from '@airlock/contracts';
import { CompiledCallPolicy, DEFAULT_REDACTED_KEYS } from '@airlock/policy';
import type { DefaultEffect } from '@airlock/policy';
import type { Logger } from '@airlock/observability';
import type { HotStore } from '@airlock/redis';

/** A tenant's call policy as the gateway holds it in memory. */
export interface TenantCallPolicy {
  /** None: the tenant has no rules and a default of allow, so nothing is evaluated. */
  policy: CompiledCallPolicy | undefined;
  defaultEffect: DefaultEffect;
  version: number;
  /** The stored policy no longer compiles (an upgrade changed the schema): every call is refused. */
  broken: boolean;
  recordArguments: boolean;
  redactedKeys: readonly string[];
}

interface Row {
  cedar: string | null;
  default_effect: DefaultEffect | null;
  version: number | null;
  record_arguments: boolean | null;
  redacted_keys: string[] | null;
}

const NO_POLICY: TenantCallPolicy = { policy: undefined, defaultEffect: 'allow', version: 0, broken: false, recordArguments: false, redactedKeys: DEFAULT_REDACTED_KEYS };

const SELECT = `SELECT p.cedar, p.default_effect, p.version, p.record_arguments, p.redacted_keys
                  FROM tenants t LEFT JOIN call_policies p ON p.tenant_id = t.id WHERE t.slug = $1`;

/**
 * Each tenant's call policy, compiled once per version and held in process: the tools/call path reads it
 * without I/O. A tenant is loaded on its first call (`ready`); the auth server publishes
 * POLICY_CHANGED_CHANNEL on every save and every replica drops its copy, so the next call loads the new
 * version. `refreshMs` bounds how long a lost event goes unnoticed: an older entry is re-read in the
 * background (recompiled only when its version changed) while calls keep using it.
 */
export class CallPolicyCache {
  private readonly entries = new Map<string, { value: TenantCallPolicy; loadedAt: number }>();
  private readonly loading = new Map<string, Promise<void>>();
  /** Bumped on every drop: a load that started before it must not store what it read. */
  private generation = 0;
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    private readonly pg: Pick<Pool, 'query'>,
    private readonly options: { hot?: HotStore; refreshMs?: number; logger: Logger },
  ) {}

  async start(): Promise<void> {
    if (!this.options.hot || this.unsubscribe) return;
    this.unsubscribe = await this.options.hot.subscribe(POLICY_CHANGED_CHANNEL, (slug) => this.forget(slug), {
      // Events may have been lost while the subscription was down.
      onResubscribed: () => this.forgetAll(),
    });
  }

  async close(): Promise<void> {
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The tenant's policy if it is in memory (a stale one starts a background re-read). */
  get(slug: string): TenantCallPolicy | undefined {
    const entry = this.entries.get(slug);
    if (entry && Date.now() - entry.loadedAt > (this.options.refreshMs ?? 30_000)) void this.load(slug).catch(() => undefined);
    return entry?.value;
  }

  /** Undefined when the tenant's policy is in memory; else the load to wait for (rejects when the database fails). */
  ready(slug: string): Promise<void> | undefined {
    return this.entries.has(slug) ? undefined : this.load(slug);
  }

  forget(slug: string): void {
    this.generation += 1;
    this.entries.delete(slug);
  }

  forgetAll(): void {
    this.generation += 1;
    this.entries.clear();
  }

  private load(slug: string): Promise<void> {
    let running = this.loading.get(slug);
    if (!running) {
      running = this.read(slug).finally(() => this.loading.delete(slug));
      this.loading.set(slug, running);
    }
    return running;
  }

  private async read(slug: string): Promise<void> {
    const generation = this.generation;
    const { rows } = await this.pg.query<Row>(SELECT, [slug]);
    const row = rows[0];
    const value = row ? this.compile(slug, row) : NO_POLICY;
    if (generation === this.generation) this.entries.set(slug, { value, loadedAt: Date.now() });
  }

  private compile(slug: string, row: Row): TenantCallPolicy {
    if (row.version === null) return NO_POLICY;
    const defaultEffect = row.default_effect ?? 'allow';
    const settings = { defaultEffect, version: row.version, recordArguments: row.record_arguments ?? false, redactedKeys: row.redacted_keys?.length ? row.redacted_keys : DEFAULT_REDACTED_KEYS };
    const known = this.entries.get(slug)?.value;
    // Same version: the compiled policy is still the right one (a refresh only re-reads the row).
    if (known && known.version === row.version && !known.broken) return { ...known, ...settings };
    const cedar = row.cedar ?? '';
    if (cedar.trim() === '' && defaultEffect === 'allow') return { ...settings, policy: undefined, broken: false };
    try {
      return { ...settings, policy: CompiledCallPolicy.compile(cedar, defaultEffect, row.version), broken: false };
    } catch (error) {
      this.options.logger.error({ err: error, tenant: slug, version: row.version }, 'the stored call policy does not compile: every call of the tenant is refused');
      return { ...settings, policy: undefined, broken: true };
    }
  }
}
