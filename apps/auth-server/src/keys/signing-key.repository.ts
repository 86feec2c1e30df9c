import { Inject, Injectable } from '@nestjs/common';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { openSecret, sealSecret } from '@airlock/platform';
import { inTransaction } from '../database/transaction.js';
import { MASTER_KEY, PG_POOL } from '../infra/infra.tokens.js';

export type SigningAlg = 'ES256' | 'RS256';
export type JsonWebKey = Record<string, unknown> & { kid: string; alg: string };

interface KeyRow {
  kid: string;
  alg: SigningAlg;
  state: 'next' | 'active' | 'retired';
  private_jwk_encrypted: string;
  not_after: Date | null;
}

const context = (kid: string) => `signing-key:${kid}`;

function generate(alg: SigningAlg): { kid: string; privateJwk: JsonWebKey; publicJwk: JsonWebKey } {
  const kid = randomBytes(12).toString('base64url');
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const meta = { kid, alg, use: 'sig' };
  return {
    kid,
    privateJwk: { ...pair.privateKey.export({ format: 'jwk' }), ...meta },
    publicJwk: { ...pair.publicKey.export({ format: 'jwk' }), ...meta },
  };
}

/**
 * Per-tenant signing keys in `signing_keys`, private JWKs sealed under the master key with the kid as
 * context (a ciphertext copied to another row does not open). Rotation publishes a `next` key one
 * rotation ahead, so resource servers have it in their cached JWKS before it signs, and keeps retired
 * keys published until `not_after` (when the last token they signed has expired).
 */
@Injectable()
export class SigningKeyRepository {
  constructor(
    @Inject(PG_POOL) private readonly pg: Pool,
    @Inject(MASTER_KEY) private readonly masterKey: Buffer,
  ) {}

  private async insert(runner: Pick<Pool, 'query'>, tenantId: string, alg: SigningAlg, state: 'next' | 'active'): Promise<void> {
    const key = generate(alg);
    await runner.query(
      `INSERT INTO signing_keys (kid, tenant_id, alg, public_jwk, private_jwk_encrypted, state, activated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [key.kid, tenantId, alg, JSON.stringify(key.publicJwk), sealSecret(this.masterKey, JSON.stringify(key.privateJwk), context(key.kid)), state, state === 'active' ? new Date() : null],
    );
  }

  /** Makes sure the tenant has an active and a next key per algorithm; idempotent under concurrency. */
  async ensure(tenantId: string): Promise<void> {
    await inTransaction(this.pg, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`signing-keys:${tenantId}`]);
      const { rows } = await client.query<{ alg: SigningAlg; state: string }>(
        "SELECT alg, state FROM signing_keys WHERE tenant_id = $1 AND state IN ('active', 'next')",
        [tenantId],
      );
      for (const alg of ['ES256', 'RS256'] as const) {
        if (!rows.some((row) => row.alg === alg && row.state === 'active')) await this.insert(client, tenantId, alg, 'active');
        if (!rows.some((row) => row.alg === alg && row.state === 'next')) await this.insert(client, tenantId, alg, 'next');
      }
    });
  }

  /**
   * next -> active, active -> retired (published until now + `keepSeconds`), and a fresh next key. One
   * transaction, so a concurrent reader sees either the old or the new set.
   */
  async rotate(tenantId: string, keepSeconds: number): Promise<void> {
    const fresh = (['ES256', 'RS256'] as const).map((alg) => ({ alg, key: generate(alg) }));
    await inTransaction(this.pg, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`signing-keys:${tenantId}`]);
      await client.query(
        "UPDATE signing_keys SET state = 'retired', retired_at = now(), not_after = now() + make_interval(secs => $2) WHERE tenant_id = $1 AND state = 'active'",
        [tenantId, keepSeconds],
      );
      await client.query("UPDATE signing_keys SET state = 'active', activated_at = now() WHERE tenant_id = $1 AND state = 'next'", [tenantId]);
      for (const { alg, key } of fresh) {
        await client.query(
          "INSERT INTO signing_keys (kid, tenant_id, alg, public_jwk, private_jwk_encrypted, state) VALUES ($1, $2, $3, $4, $5, 'next')",
          [key.kid, tenantId, alg, JSON.stringify(key.publicJwk), sealSecret(this.masterKey, JSON.stringify(key.privateJwk), context(key.kid))],
        );
      }
    });
    await this.ensure(tenantId);
  }

  /**
   * The private JWKS for oidc-provider, in signing order: it signs with the first key of an algorithm, so
   * active keys come first (ES256 before RS256: ES256 is the default), then next, then retired ones.
   */
  async privateJwks(tenantId: string): Promise<JsonWebKey[]> {
    const { rows } = await this.pg.query<KeyRow>(
      `SELECT kid, alg, state, private_jwk_encrypted, not_after FROM signing_keys
       WHERE tenant_id = $1 AND (state <> 'retired' OR not_after > now())
       ORDER BY CASE state WHEN 'active' THEN 0 WHEN 'next' THEN 1 ELSE 2 END, CASE alg WHEN 'ES256' THEN 0 ELSE 1 END, created_at DESC`,
      [tenantId],
    );
    return rows.map((row) => JSON.parse(openSecret(this.masterKey, row.private_jwk_encrypted, context(row.kid))) as JsonWebKey);
  }

  async list(tenantId: string): Promise<Array<{ kid: string; alg: string; state: string; notAfter: Date | null }>> {
    const { rows } = await this.pg.query<KeyRow>(
      "SELECT kid, alg, state, not_after FROM signing_keys WHERE tenant_id = $1 AND (state <> 'retired' OR not_after > now()) ORDER BY created_at",
      [tenantId],
    );
    return rows.map((row) => ({ kid: row.kid, alg: row.alg, state: row.state, notAfter: row.not_after }));
  }
}
