import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';

/** The grants of one user that may still have live tokens: oidc-provider's Grant rows and the consents naming one. */
@Injectable()
export class UserGrantIds {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async of(tenantId: string, userId: string): Promise<string[]> {
    const { rows } = await this.pg.query<{ id: string }>(
      `SELECT id FROM oidc_artifacts WHERE tenant_id = $1 AND model = 'Grant' AND payload->>'accountId' = $2
       UNION SELECT grant_id FROM consents WHERE tenant_id = $1 AND user_id::text = $2 AND revoked_at IS NULL`,
      [tenantId, userId],
    );
    return rows.map((row) => row.id);
  }
}
