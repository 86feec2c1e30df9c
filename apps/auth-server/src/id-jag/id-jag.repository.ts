import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../infra/infra.tokens.js';

export interface TrustedIssuerRow {
  id: string;
  issuer: string;
  jwksUri: string | null;
  jwks: { keys: Array<Record<string, unknown>> } | null;
  allowedClientIds: string[];
  enabled: boolean;
  provisionUsers: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface IdJagAudienceRow {
  id: string;
  audience: string;
  resources: string[];
  allowedClientIds: string[];
  scopes: string[];
  enabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface PreApprovalRow {
  id: string;
  clientId: string;
  scopes: string[];
  createdBy: string;
  createdAt: Date;
}

const ISSUER_COLUMNS = `id, issuer, jwks_uri AS "jwksUri", jwks, allowed_client_ids AS "allowedClientIds", enabled, provision_users AS "provisionUsers", created_at AS "createdAt", updated_at AS "updatedAt"`;
const AUDIENCE_COLUMNS = `id, audience, resources, allowed_client_ids AS "allowedClientIds", scopes, enabled, created_at AS "createdAt", updated_at AS "updatedAt"`;
const APPROVAL_COLUMNS = `id, client_id AS "clientId", scopes, created_by AS "createdBy", created_at AS "createdAt"`;

/** A few dozen rows per tenant at most: lists are not paged. */
const LIST_LIMIT = 500;

/** `SET` clauses for a patch of known columns (undefined: unchanged). */
function setClauses(patch: Record<string, unknown>, columns: Record<string, string>, first: number): { sql: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  for (const [field, column] of Object.entries(columns)) {
    if (patch[field] === undefined) continue;
    values.push(field === 'jwks' && patch[field] !== null ? JSON.stringify(patch[field]) : patch[field]);
    parts.push(`${column} = $${first + values.length - 1}`);
  }
  parts.push('updated_at = now()');
  return { sql: parts.join(', '), values };
}

/** The ID-JAG tables: trusted IdPs (resource side), audiences (IdP side), pre-approved clients. */
@Injectable()
export class IdJagRepository {
  constructor(@Inject(PG_POOL) private readonly pg: Pool) {}

  async listIssuers(tenantId: string): Promise<TrustedIssuerRow[]> {
    const { rows } = await this.pg.query<TrustedIssuerRow>(`SELECT ${ISSUER_COLUMNS} FROM trusted_assertion_issuers WHERE tenant_id = $1 ORDER BY issuer LIMIT ${LIST_LIMIT}`, [tenantId]);
    return rows;
  }

  /** The token endpoint's one query per jwt-bearer request. */
  async findIssuer(tenantId: string, issuer: string): Promise<TrustedIssuerRow | undefined> {
    const { rows } = await this.pg.query<TrustedIssuerRow>(`SELECT ${ISSUER_COLUMNS} FROM trusted_assertion_issuers WHERE tenant_id = $1 AND issuer = $2`, [tenantId, issuer]);
    return rows[0];
  }

  async findIssuerById(tenantId: string, id: string): Promise<TrustedIssuerRow | undefined> {
    const { rows } = await this.pg.query<TrustedIssuerRow>(`SELECT ${ISSUER_COLUMNS} FROM trusted_assertion_issuers WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return rows[0];
  }

  /** Undefined when the issuer is already trusted. */
  async insertIssuer(tenantId: string, input: { issuer: string; jwksUri: string | null; jwks: unknown; allowedClientIds: string[]; enabled: boolean; provisionUsers: boolean }): Promise<TrustedIssuerRow | undefined> {
    const { rows } = await this.pg.query<TrustedIssuerRow>(
      `INSERT INTO trusted_assertion_issuers (id, tenant_id, issuer, jwks_uri, jwks, allowed_client_ids, enabled, provision_users, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, now()) ON CONFLICT DO NOTHING RETURNING ${ISSUER_COLUMNS}`,
      [tenantId, input.issuer, input.jwksUri, input.jwks === null ? null : JSON.stringify(input.jwks), input.allowedClientIds, input.enabled, input.provisionUsers],
    );
    return rows[0];
  }

  async updateIssuer(tenantId: string, id: string, patch: Record<string, unknown>): Promise<TrustedIssuerRow | undefined> {
    const set = setClauses(patch, { jwksUri: 'jwks_uri', jwks: 'jwks', allowedClientIds: 'allowed_client_ids', enabled: 'enabled', provisionUsers: 'provision_users' }, 3);
    const { rows } = await this.pg.query<TrustedIssuerRow>(`UPDATE trusted_assertion_issuers SET ${set.sql} WHERE tenant_id = $1 AND id = $2 RETURNING ${ISSUER_COLUMNS}`, [tenantId, id, ...set.values]);
    return rows[0];
  }

  /**
   * The tenant's enabled OpenID provider whose issuer is `issuer`: what an ID-JAG subject provisioned just in
   * time is linked through (the same (issuer, subject) link an OpenID sign-in there makes).
   */
  async oidcProviderFor(tenantId: string, issuer: string): Promise<string | undefined> {
    const { rows } = await this.pg.query<{ id: string }>(
      `SELECT id FROM identity_providers WHERE tenant_id = $1 AND kind = 'oidc' AND enabled AND config->>'issuer' = $2 ORDER BY created_at LIMIT 1`,
      [tenantId, issuer],
    );
    return rows[0]?.id;
  }

  async deleteIssuer(tenantId: string, id: string): Promise<boolean> {
    return (await this.pg.query('DELETE FROM trusted_assertion_issuers WHERE tenant_id = $1 AND id = $2', [tenantId, id])).rowCount === 1;
  }

  async listAudiences(tenantId: string): Promise<IdJagAudienceRow[]> {
    const { rows } = await this.pg.query<IdJagAudienceRow>(`SELECT ${AUDIENCE_COLUMNS} FROM id_jag_audiences WHERE tenant_id = $1 ORDER BY audience LIMIT ${LIST_LIMIT}`, [tenantId]);
    return rows;
  }

  async findAudience(tenantId: string, audience: string): Promise<IdJagAudienceRow | undefined> {
    const { rows } = await this.pg.query<IdJagAudienceRow>(`SELECT ${AUDIENCE_COLUMNS} FROM id_jag_audiences WHERE tenant_id = $1 AND audience = $2`, [tenantId, audience]);
    return rows[0];
  }

  async findAudienceById(tenantId: string, id: string): Promise<IdJagAudienceRow | undefined> {
    const { rows } = await this.pg.query<IdJagAudienceRow>(`SELECT ${AUDIENCE_COLUMNS} FROM id_jag_audiences WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return rows[0];
  }

  async insertAudience(tenantId: string, input: { audience: string; resources: string[]; allowedClientIds: string[]; scopes: string[]; enabled: boolean }): Promise<IdJagAudienceRow | undefined> {
    const { rows } = await this.pg.query<IdJagAudienceRow>(
      `INSERT INTO id_jag_audiences (id, tenant_id, audience, resources, allowed_client_ids, scopes, enabled, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, now()) ON CONFLICT DO NOTHING RETURNING ${AUDIENCE_COLUMNS}`,
      [tenantId, input.audience, input.resources, input.allowedClientIds, input.scopes, input.enabled],
    );
    return rows[0];
  }

  async updateAudience(tenantId: string, id: string, patch: Record<string, unknown>): Promise<IdJagAudienceRow | undefined> {
    const set = setClauses(patch, { resources: 'resources', allowedClientIds: 'allowed_client_ids', scopes: 'scopes', enabled: 'enabled' }, 3);
    const { rows } = await this.pg.query<IdJagAudienceRow>(`UPDATE id_jag_audiences SET ${set.sql} WHERE tenant_id = $1 AND id = $2 RETURNING ${AUDIENCE_COLUMNS}`, [tenantId, id, ...set.values]);
    return rows[0];
  }

  async deleteAudience(tenantId: string, id: string): Promise<boolean> {
    return (await this.pg.query('DELETE FROM id_jag_audiences WHERE tenant_id = $1 AND id = $2', [tenantId, id])).rowCount === 1;
  }

  async listPreApprovals(tenantId: string): Promise<PreApprovalRow[]> {
    const { rows } = await this.pg.query<PreApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM client_pre_approvals WHERE tenant_id = $1 ORDER BY client_id LIMIT ${LIST_LIMIT}`, [tenantId]);
    return rows;
  }

  async findPreApproval(tenantId: string, clientId: string): Promise<PreApprovalRow | undefined> {
    const { rows } = await this.pg.query<PreApprovalRow>(`SELECT ${APPROVAL_COLUMNS} FROM client_pre_approvals WHERE tenant_id = $1 AND client_id = $2`, [tenantId, clientId]);
    return rows[0];
  }

  async putPreApproval(tenantId: string, clientId: string, scopes: string[], createdBy: string): Promise<PreApprovalRow> {
    const { rows } = await this.pg.query<PreApprovalRow>(
      `INSERT INTO client_pre_approvals (id, tenant_id, client_id, scopes, created_by) VALUES (gen_random_uuid(), $1, $2, $3, $4)
       ON CONFLICT (tenant_id, client_id) DO UPDATE SET scopes = EXCLUDED.scopes, created_by = EXCLUDED.created_by, created_at = now()
       RETURNING ${APPROVAL_COLUMNS}`,
      [tenantId, clientId, [...new Set(scopes)].sort(), createdBy],
    );
    return rows[0]!;
  }

  async deletePreApproval(tenantId: string, clientId: string): Promise<boolean> {
    return (await this.pg.query('DELETE FROM client_pre_approvals WHERE tenant_id = $1 AND client_id = $2', [tenantId, clientId])).rowCount === 1;
  }

  /** The active consent's grant for this user, client and resource (an ID-JAG adds to it, as consent does). */
  async activeGrantId(tenantId: string, userId: string, clientId: string, resource: string): Promise<string | undefined> {
    const { rows } = await this.pg.query<{ grantId: string }>(
      `SELECT grant_id AS "grantId" FROM consents WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3 AND resource = $4 AND revoked_at IS NULL ORDER BY updated_at DESC LIMIT 1`,
      [tenantId, userId, clientId, resource],
    );
    return rows[0]?.grantId;
  }

  /**
   * Records what an ID-JAG granted as a consent row (the account page and the admin API list grants from
   * there, and revoke them): widens the active row or inserts one.
   */
  async recordGrant(tenantId: string, userId: string, clientId: string, resource: string, scopes: string[], grantId: string): Promise<void> {
    const updated = await this.pg.query(
      `UPDATE consents SET scopes = ARRAY(SELECT DISTINCT unnest(scopes || $5::text[]) ORDER BY 1), grant_id = $6, updated_at = now()
        WHERE id = (SELECT id FROM consents WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3 AND resource = $4 AND revoked_at IS NULL ORDER BY updated_at DESC LIMIT 1)`,
      [tenantId, userId, clientId, resource, scopes, grantId],
    );
    if (updated.rowCount === 1) return;
    await this.pg.query(
      `INSERT INTO consents (id, tenant_id, user_id, client_id, grant_id, scopes, resource, created_at, updated_at)
       VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, now(), now())`,
      [tenantId, userId, clientId, grantId, [...new Set(scopes)].sort(), resource],
    );
  }

  /** Whether the user exists in the tenant and is not disabled (an id that is no UUID is no user). */
  async isActiveUser(tenantId: string, userId: string): Promise<boolean> {
    const { rowCount } = await this.pg.query('SELECT 1 FROM users WHERE tenant_id = $1 AND id::text = $2 AND disabled_at IS NULL', [tenantId, userId]);
    return rowCount === 1;
  }

  /** The local user an IdP's (issuer, subject) is linked to (never by email alone). */
  async linkedUser(tenantId: string, issuer: string, subject: string): Promise<string | undefined> {
    const { rows } = await this.pg.query<{ userId: string }>(
      `SELECT f.user_id AS "userId" FROM federated_identities f JOIN users u ON u.id = f.user_id
        WHERE f.tenant_id = $1 AND f.issuer = $2 AND f.subject = $3 AND u.disabled_at IS NULL`,
      [tenantId, issuer, subject],
    );
    return rows[0]?.userId;
  }
}
