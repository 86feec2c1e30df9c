import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { RegistrationPolicy } from '@airlock/contracts';
import { TenantDirectory } from '@airlock/platform';
import type { TenantRecord } from './tenant-record.js';
import { TenantRepository } from './tenant.repository.js';

type Listener = (slug: string) => void;

/**
 * Tenants as the auth server sees them (TenantRecord, issuer included), looked up through the shared
 * TenantDirectory (@airlock/platform: bounded cache, dropped on every replica by `changed`). Every request
 * under /t/<slug> needs one, through TenantResolver.
 */
@Injectable()
export class TenantRecords implements OnModuleInit, OnModuleDestroy {
  constructor(
    private readonly repository: TenantRepository,
    private readonly directory: TenantDirectory,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.directory.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.directory.close();
  }

  async findBySlug(slug: string): Promise<TenantRecord | undefined> {
    const row = await this.directory.find(slug);
    return row && this.repository.recordOf(row);
  }

  /** Reads the database, not the cache, and refreshes the cache with the answer (see TenantResolver's `fresh`). */
  async findFresh(slug: string): Promise<TenantRecord | undefined> {
    const row = await this.directory.findFresh(slug);
    return row && this.repository.recordOf(row);
  }

  /** Creates the tenant when missing (bootstrap); returns it either way. */
  async ensure(slug: string, displayName: string, registrationPolicy: RegistrationPolicy = 'open'): Promise<TenantRecord> {
    await this.repository.ensure(slug, displayName, registrationPolicy);
    const tenant = await this.findFresh(slug);
    if (!tenant) throw new Error(`tenant ${slug} vanished while being created`);
    return tenant;
  }

  /** Called after a tenant (or its keys) changed; every replica forgets it. */
  changed(slug: string): Promise<void> {
    return this.directory.changed(slug);
  }

  /** Runs whenever a tenant is dropped here or on another replica (the provider registry rebuilds it). */
  onChange(listener: Listener): void {
    this.directory.onChange(listener);
  }
}
