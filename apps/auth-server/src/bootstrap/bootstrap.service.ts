import { createHmac } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AuthServerConfig } from '@airlock/config';
import type { Logger } from '@airlock/observability';
import type { Pool } from 'pg';
import { AUTH_CONFIG, EMBEDDED_DATABASE, LOGGER, MASTER_KEY, PG_POOL } from '../infra/infra.tokens.js';
import { SigningKeyRepository } from '../keys/signing-key.repository.js';
import { OidcProviderRegistry } from '../oidc/tenant-providers.service.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { TenantRecords } from '../tenants/tenant-records.service.js';
import { UsersService } from '../users/users.service.js';
import { seedDemoUpstreams, type DemoUpstream } from './demo-upstreams.js';

export const DEMO_TENANT_SLUG = 'demo';
export const GENERATED_ADMIN_CLIENT_ID = 'airlock-admin';

/** A stable secret derived from the master key: the same on every restart, different per installation. */
function derived(masterKey: Buffer, purpose: string, length: number): string {
  return createHmac('sha256', masterKey).update(`bootstrap:${purpose}`).digest('base64url').slice(0, length);
}

/**
 * What must exist before the first request: the `demo` tenant, the platform's `admin` tenant with the
 * bootstrap admin client, signing keys, and in embedded mode a demo user and the demo MCP servers the
 * launcher runs (`demoUpstreams`). Idempotent; returns banner
 * lines. Generated credentials are derived from the master key, so a restart prints the same ones.
 */
@Injectable()
export class BootstrapService {
  constructor(
    @Inject(EMBEDDED_DATABASE) private readonly embeddedDatabase: boolean,
    @Inject(MASTER_KEY) private readonly masterKey: Buffer,
    @Inject(PG_POOL) private readonly pg: Pool,
    @Inject(AUTH_CONFIG) private readonly config: AuthServerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly tenants: TenantRecords,
    private readonly providers: OidcProviderRegistry,
    private readonly users: UsersService,
    private readonly keys: SigningKeyRepository,
  ) {}

  async run(demoUpstreams: readonly DemoUpstream[] = []): Promise<string[]> {
    const banner: string[] = [];
    const embedded = this.embeddedDatabase;

    const admin =
      this.config.bootstrapAdmin ??
      (embedded ? { clientId: GENERATED_ADMIN_CLIENT_ID, clientSecret: derived(this.masterKey, 'admin-client-secret', 40) } : undefined);
    this.providers.adminClient = admin;
    const platform = await this.tenants.ensure(ADMIN_TENANT_SLUG, 'Airlock platform', 'off');
    const demo = await this.tenants.ensure(DEMO_TENANT_SLUG, 'Demo');
    for (const tenant of [platform, demo]) await this.keys.ensure(tenant.id);

    if (admin) {
      const shown = this.config.bootstrapAdmin ? '(secret from AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET)' : `secret ${admin.clientSecret}`;
      banner.push(`admin client     ${admin.clientId} ${shown} at ${this.config.publicUrl}/t/${ADMIN_TENANT_SLUG}/token`);
    } else {
      this.logger.warn('no bootstrap admin client: set AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID and _SECRET to use the admin API');
    }

    if (embedded) {
      const email = this.config.demoUser.email;
      const password = this.config.demoUser.password ?? derived(this.masterKey, 'demo-user-password', 20);
      const existing = await this.pg.query('SELECT 1 FROM users WHERE tenant_id = $1 AND email = $2', [demo.id, email]);
      if (existing.rowCount === 0) {
        try {
          await this.users.createUser(demo.id, { email, password, displayName: 'Demo user' });
        } catch (error) {
          // Another replica created it first.
          const again = await this.pg.query('SELECT 1 FROM users WHERE tenant_id = $1 AND email = $2', [demo.id, email]);
          if (again.rowCount === 0) throw error;
        }
      }
      // Only a generated password is printed: one the operator chose stays out of logs and terminals.
      const shown = this.config.demoUser.password ? '(password from AIRLOCK_DEMO_USER_PASSWORD)' : `/ ${password}`;
      banner.push(`demo user        ${email} ${shown} (tenant ${DEMO_TENANT_SLUG})`);
      await seedDemoUpstreams(this.pg, demo.id, demoUpstreams);
    }
    return banner;
  }
}
