import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';

/** A `call_policies` row as the admin API reads it. */
export interface CallPolicyRow {
  cedar: string;
  defaultEffect: 'allow' | 'deny';
  version: number;
  recordArguments: boolean;
  redactedKeys: string[];
  updatedBy: string | null;
  updatedAt: Date;
}

const COLUMNS = `cedar, default_effect AS "defaultEffect", version, record_arguments AS "recordArguments",
                 COALESCE(redacted_keys, '{}') AS "redactedKeys", updated_by AS "updatedBy", updated_at AS "updatedAt"`;

@Injectable()
export class AdminCallPolicyRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async find(tenantId: string): Promise<CallPolicyRow | undefined> {
    const { rows } = await this.pg.query<CallPolicyRow>(`SELECT ${COLUMNS} FROM call_policies WHERE tenant_id = $1`, [tenantId]);
    return rows[0];
  }

  /**
   * Saves the next version. With `expectedVersion`, only over that version (0: no row yet); undefined when
   * the stored version is another one (a concurrent save won).
   */
  async save(tenantId: string, input: Omit<CallPolicyRow, 'version' | 'updatedAt'>, expectedVersion: number | undefined): Promise<CallPolicyRow | undefined> {
    const { rows } = await this.pg.query<CallPolicyRow>(
      `INSERT INTO call_policies AS p (tenant_id, cedar, default_effect, version, record_arguments, redacted_keys, updated_by, updated_at)
       SELECT $1, $2, $3, 1, $4, $5, $6, now() WHERE $7::int IS NULL OR $7::int = 0
       ON CONFLICT (tenant_id) DO UPDATE SET cedar = EXCLUDED.cedar, default_effect = EXCLUDED.default_effect, version = p.version + 1,
         record_arguments = EXCLUDED.record_arguments, redacted_keys = EXCLUDED.redacted_keys, updated_by = EXCLUDED.updated_by, updated_at = now()
       WHERE $7::int IS NULL OR p.version = $7::int
       RETURNING ${COLUMNS}`,
      [tenantId, input.cedar, input.defaultEffect, input.recordArguments, input.redactedKeys, input.updatedBy, expectedVersion ?? null],
    );
    return rows[0];
  }
}
