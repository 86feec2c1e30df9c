import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { scimLinkRuleSchema, type ScimLinkRule } from '@airlock/contracts';
import { inTransaction } from '../database/transaction.js';
import { PG_POOL } from '../infra/infra.tokens.js';
import { normalizeEmail } from '../users/user.repository.js';


export interface ProviderState {
  id: string;
  slug: string;
  enabled: boolean;
  tenantSlug: string;
  linkScimUsersBy: ScimLinkRule | undefined;
}

export interface LinkedUser {
  linkId: string;
  userId: string;
  disabled: boolean;
}

export interface NewFederatedUser {
  tenantId: string;
  providerId: string;
  issuer: string;
  subject: string;
  /** The address the user row gets (a verified one, or a placeholder under `.invalid`). */
  userEmail: string;
  /** The address the provider asserted, verified or not, kept on the link for the admin's eyes. */
  assertedEmail: string | undefined;
  displayName: string | undefined;
  groups: readonly string[];
}

/** JIT users sign in only through their provider: this is no argon2 PHC string, so no password ever matches it. */
export const FEDERATED_ONLY_PASSWORD_HASH = '!federated';
/** What a user the tenant's SCIM client created has instead of a password (scim-users.repository.ts). */
const SCIM_PROVISIONED_PASSWORD_HASH = '';

export type ScimLinkResult = { kind: 'linked' } | { kind: 'raced' } | { kind: 'taken' };

export type ProvisionResult = { kind: 'created'; userId: string } | { kind: 'raced' } | { kind: 'email_in_use' };

/** Plain `pg`: sign-in is user-facing, and the first sign-in must be one transaction. */
@Injectable()
export class FederationRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async provider(tenantId: string, providerId: string): Promise<ProviderState | undefined> {
    if (!/^[0-9a-f-]{36}$/i.test(providerId)) return undefined;
    const { rows } = await this.pg.query<Omit<ProviderState, 'linkScimUsersBy'> & { linkScimUsersBy: string | null }>(
      `SELECT p.id, p.slug, p.enabled, t.slug AS "tenantSlug", p.config->>'linkScimUsersBy' AS "linkScimUsersBy"
         FROM identity_providers p JOIN tenants t ON t.id = p.tenant_id
        WHERE p.tenant_id = $1 AND p.id = $2`,
      [tenantId, providerId],
    );
    const row = rows[0];
    if (!row) return undefined;
    // The provider config's `linkScimUsersBy` (scimLinkRuleSchema); anything else links nobody.
    const rule = scimLinkRuleSchema.safeParse(row.linkScimUsersBy);
    return { ...row, linkScimUsersBy: rule.success ? rule.data : undefined };
  }

  /**
   * The user the tenant's SCIM client created (no password, so never a local account) whose `externalId`
   * or `userName` (the email) is `value`, unless this provider already links someone to them.
   */
  async scimUser(tenantId: string, providerId: string, by: ScimLinkRule, value: string): Promise<LinkedUser | undefined> {
    const column = by === 'externalId' ? 'u.external_id' : 'u.email';
    const { rows } = await this.pg.query<Omit<LinkedUser, 'linkId'>>(
      `SELECT u.id AS "userId", (u.disabled_at IS NOT NULL) AS disabled FROM users u
        WHERE u.tenant_id = $1 AND ${column} = $3 AND u.password_hash = $4
          AND NOT EXISTS (SELECT 1 FROM federated_identities f WHERE f.user_id = u.id AND f.provider_id = $2)`,
      [tenantId, providerId, by === 'externalId' ? value : normalizeEmail(value), SCIM_PROVISIONED_PASSWORD_HASH],
    );
    const row = rows[0];
    return row ? { ...row, linkId: '' } : undefined;
  }

  /**
   * Links (issuer, subject) to a SCIM-provisioned user, with the user's row locked so that two different
   * subjects of one provider cannot both claim the user (`taken`); `raced` when this very (issuer, subject)
   * was linked meanwhile (a concurrent first sign-in of the same person).
   */
  linkScimUser(input: { tenantId: string; userId: string; providerId: string; issuer: string; subject: string; assertedEmail: string | undefined; groups: readonly string[] }): Promise<ScimLinkResult> {
    return inTransaction(this.pg, async (client) => {
      await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [input.userId]);
      const { rowCount: taken } = await client.query('SELECT 1 FROM federated_identities WHERE user_id = $1 AND provider_id = $2', [input.userId, input.providerId]);
      if ((taken ?? 0) > 0) return { kind: 'taken' };
      const { rowCount } = await client.query(
        `INSERT INTO federated_identities (id, tenant_id, user_id, provider_id, issuer, subject, email, groups, last_sign_in_at, created_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, now(), now())
         ON CONFLICT (tenant_id, issuer, subject) DO NOTHING`,
        [input.tenantId, input.userId, input.providerId, input.issuer, input.subject, input.assertedEmail ?? null, [...input.groups]],
      );
      return rowCount === 0 ? { kind: 'raced' } : { kind: 'linked' };
    });
  }

  async linkedUser(tenantId: string, issuer: string, subject: string): Promise<LinkedUser | undefined> {
    const { rows } = await this.pg.query<LinkedUser>(
      `SELECT f.id AS "linkId", f.user_id AS "userId", (u.disabled_at IS NOT NULL) AS disabled
         FROM federated_identities f JOIN users u ON u.id = f.user_id
        WHERE f.tenant_id = $1 AND f.issuer = $2 AND f.subject = $3`,
      [tenantId, issuer, subject],
    );
    return rows[0];
  }

  /** Whether any user of the tenant (local or federated) has this address. */
  async emailTaken(tenantId: string, email: string): Promise<boolean> {
    const { rowCount } = await this.pg.query('SELECT 1 FROM users WHERE tenant_id = $1 AND email = $2', [tenantId, normalizeEmail(email)]);
    return (rowCount ?? 0) > 0;
  }

  /** Every sign-in: the groups asserted now replace the ones before (group mappings read them). */
  async recordSignIn(linkId: string, groups: readonly string[], assertedEmail: string | undefined): Promise<void> {
    await this.pg.query('UPDATE federated_identities SET groups = $2, email = COALESCE($3, email), last_sign_in_at = now() WHERE id = $1', [
      linkId,
      [...groups],
      assertedEmail ?? null,
    ]);
  }

  /**
   * The first sign-in: user and link in one transaction. Both inserts yield on their unique constraint
   * instead of failing, so two concurrent first sign-ins of one person end with one user and one link:
   * the loser sees `raced` (and reads the winner's link), never a unique-violation error.
   */
  provision(input: NewFederatedUser): Promise<ProvisionResult> {
    return inTransaction(this.pg, async (client) => {
      const userId = await this.insertUser(client, input);
      if (!userId) {
        // The address is taken: by a local user (no auto-link), or by this person's concurrent first sign-in.
        return (await this.linkExists(client, input)) ? { kind: 'raced' } : { kind: 'email_in_use' };
      }
      const { rowCount } = await client.query(
        `INSERT INTO federated_identities (id, tenant_id, user_id, provider_id, issuer, subject, email, groups, last_sign_in_at, created_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, now(), now())
         ON CONFLICT (tenant_id, issuer, subject) DO NOTHING`,
        [input.tenantId, userId, input.providerId, input.issuer, input.subject, input.assertedEmail ?? null, [...input.groups]],
      );
      if (rowCount === 0) {
        // Lost the race on the link itself (placeholder addresses never collide): drop our user.
        await client.query('DELETE FROM users WHERE id = $1', [userId]);
        return { kind: 'raced' };
      }
      return { kind: 'created', userId };
    });
  }

  private async insertUser(client: PoolClient, input: NewFederatedUser): Promise<string | undefined> {
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO users (id, tenant_id, email, display_name, password_hash, created_at, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, now(), now())
       ON CONFLICT (tenant_id, email) DO NOTHING RETURNING id`,
      [input.tenantId, normalizeEmail(input.userEmail), input.displayName ?? null, FEDERATED_ONLY_PASSWORD_HASH],
    );
    return rows[0]?.id;
  }

  private async linkExists(client: PoolClient, input: NewFederatedUser): Promise<boolean> {
    const { rowCount } = await client.query('SELECT 1 FROM federated_identities WHERE tenant_id = $1 AND issuer = $2 AND subject = $3', [
      input.tenantId,
      input.issuer,
      input.subject,
    ]);
    return (rowCount ?? 0) > 0;
  }
}
