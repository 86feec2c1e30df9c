import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { samlProviderConfigSchema, type SamlProviderConfig } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import { LOGGER, PG_POOL } from '../../infra/infra.tokens.js';

export interface SamlProvider {
  id: string;
  slug: string;
  displayName: string;
  enabled: boolean;
  config: SamlProviderConfig;
}

/** The tenant's SAML identity providers (plain `pg`: the sign-in path). */
@Injectable()
export class SamlProviderRepository {
  constructor(
    @Inject(PG_POOL) private readonly pg: Pool,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** undefined when there is no SAML provider of that slug, or its stored config does not parse. */
  async find(tenantId: string, slug: string): Promise<SamlProvider | undefined> {
    const { rows } = await this.pg.query<{ id: string; slug: string; displayName: string; enabled: boolean; config: unknown }>(
      `SELECT id, slug, display_name AS "displayName", enabled, config
         FROM identity_providers WHERE tenant_id = $1 AND slug = $2 AND kind = 'saml'`,
      [tenantId, slug],
    );
    const row = rows[0];
    if (!row) return undefined;
    const config = samlProviderConfigSchema.safeParse(row.config);
    if (!config.success) {
      this.logger.error({ providerId: row.id, issues: config.error.issues.map((i) => i.path.join('.')) }, 'stored SAML provider config does not parse');
      return undefined;
    }
    return { id: row.id, slug: row.slug, displayName: row.displayName, enabled: row.enabled, config: config.data };
  }
}
