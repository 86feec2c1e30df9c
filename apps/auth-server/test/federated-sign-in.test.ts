import type { ServerResponse } from 'node:http';
import { Controller, Get, Inject, Module, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { Queues, type AuditEvent } from '@airlock/contracts';
import { createTestLogger } from '@airlock/testing';
import { FederatedLogin } from '../src/federation/federated-login.js';
import type { VerifiedFederatedIdentity } from '../src/federation/federated-sign-in.js';
import { FederatedSignInService } from '../src/federation/federated-sign-in.service.js';
import { FederationAudit } from '../src/federation/federation-audit.js';
import { FederationModule } from '../src/federation/federation.module.js';
import { FederationRepository } from '../src/federation/federation.repository.js';
import { OidcModule } from '../src/oidc/oidc.module.js';
import { TenantProviders } from '../src/oidc/tenant-providers.js';
import { startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { browse, CookieJar } from './support/browser.js';
import { OAuthFlow } from './support/oauth-flow.js';

// The federation core on real Postgres: linking by (issuer, subject), just-in-time provisioning, no
// auto-linking by email, disabled users and providers, groups recorded at every sign-in, concurrent first
// sign-ins; and FederatedLogin finishing a real oidc-provider login interaction over HTTP, driven by a
// stand-in broker that hands over an identity as a verified one (the OIDC and SAML tests verify for real).

const ISSUER = 'https://idp.example.test';

@Controller('t/:tenant/stand-in-broker')
class StandInBrokerController {
  constructor(
    private readonly login: FederatedLogin,
    @Inject(TenantProviders) private readonly providers: TenantProviders,
  ) {}

  @Get(':uid')
  async callback(@Param('tenant') tenant: string, @Param('uid') uid: string, @Query() query: Record<string, string>, @Res() reply: FastifyReply): Promise<void> {
    reply.hijack();
    const tp = (await this.providers.forTenant(tenant))!;
    const identity: VerifiedFederatedIdentity = {
      providerId: query['provider']!,
      issuer: ISSUER,
      subject: query['sub']!,
      email: query['email'],
      emailVerified: query['verified'] === 'true',
      groups: query['groups'] ? query['groups'].split(',') : [],
    };
    await this.login.finish(tp, uid, identity, reply.raw as ServerResponse);
  }
}

@Module({ imports: [FederationModule, OidcModule], controllers: [StandInBrokerController] })
class StandInBrokerModule {}

let server: AuthServerHarness;
let service: FederatedSignInService;
let tenantId: string;
let providerId: string;
const audit: AuditEvent[] = [];

async function addProvider(slug: string, enabled = true): Promise<string> {
  const { rows } = await server.infra.pg.query<{ id: string }>(
    `INSERT INTO identity_providers (id, tenant_id, slug, kind, display_name, enabled, updated_at)
     VALUES (gen_random_uuid(), $1, $2, 'oidc', $2, $3, now()) RETURNING id`,
    [tenantId, slug, enabled],
  );
  return rows[0]!.id;
}

function identity(overrides: Partial<VerifiedFederatedIdentity> = {}): VerifiedFederatedIdentity {
  return { providerId, issuer: ISSUER, subject: 'sub-1', email: 'ada@corp.example', emailVerified: true, groups: [], ...overrides };
}

async function count(sql: string, params: unknown[]): Promise<number> {
  const { rows } = await server.infra.pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`, params);
  return Number(rows[0]!.n);
}

beforeAll(async () => {
  server = await startAuthServerHarness({}, { modules: [StandInBrokerModule] });
  server.queues.work<AuditEvent>(Queues.audit, async (job) => void audit.push(job.data));
  tenantId = (await server.tenant('demo')).id;
  providerId = await addProvider('corp');
  service = new FederatedSignInService(new FederationRepository(server.infra.pg), new FederationAudit(server.queues, createTestLogger()));
});
afterAll(async () => {
  await server?.close();
});

describe('FederatedSignInService', () => {
  it('provisions a user at the first sign-in and links later sign-ins by issuer and subject, recording the groups each time', async () => {
    const first = await service.complete(tenantId, identity({ subject: 'jit-1', email: 'Jit@Corp.example', groups: ['mcp-finance', 'staff'] }));
    expect(first).toMatchObject({ ok: true, created: true });
    const userId = (first as { userId: string }).userId;
    const { rows } = await server.infra.pg.query('SELECT email, password_hash FROM users WHERE id = $1', [userId]);
    expect(rows[0]).toEqual({ email: 'jit@corp.example', password_hash: '!federated' });

    // The same person with a changed address and fewer groups: same user, groups replaced.
    const again = await service.complete(tenantId, identity({ subject: 'jit-1', email: 'renamed@corp.example', groups: ['staff'] }));
    expect(again).toEqual({ ok: true, userId, created: false });
    const link = await server.infra.pg.query('SELECT groups, email, provider_id FROM federated_identities WHERE tenant_id = $1 AND issuer = $2 AND subject = $3', [tenantId, ISSUER, 'jit-1']);
    expect(link.rows[0]).toEqual({ groups: ['staff'], email: 'renamed@corp.example', provider_id: providerId });

    await server.queues.drain(Queues.audit);
    const mine = audit.filter((e) => e.actor.subject === userId);
    expect(mine.map((e) => `${e.action}:${e.outcome}`)).toEqual(['federation.user_provisioned:success', 'federation.sign_in:success', 'federation.sign_in:success']);
    expect(mine[0]).toMatchObject({ tenant: 'demo', target: 'corp' });
  });

  it('never links by email: a local user with the address refuses the sign-in (email_in_use) and nothing is created', async () => {
    await server.createUser('demo', 'local@corp.example', 'correct horse battery staple');
    const before = await count('users WHERE tenant_id = $1', [tenantId]);
    const outcome = await service.complete(tenantId, identity({ subject: 'collides', email: 'LOCAL@corp.example' }));
    expect(outcome).toEqual({ ok: false, reason: 'email_in_use' });
    expect(await count('users WHERE tenant_id = $1', [tenantId])).toBe(before);
    expect(await count('federated_identities WHERE subject = $1', ['collides'])).toBe(0);
    // Another subject asserting a federated user's address is refused the same way.
    await service.complete(tenantId, identity({ subject: 'owner', email: 'owner@corp.example' }));
    expect(await service.complete(tenantId, identity({ subject: 'impostor', email: 'owner@corp.example' }))).toEqual({ ok: false, reason: 'email_in_use' });
    await server.queues.drain(Queues.audit);
    expect(audit.some((e) => e.action === 'federation.sign_in' && e.outcome === 'denied' && e.details['reason'] === 'email_in_use' && e.details['subject'] === 'collides')).toBe(true);
  });

  it('gives a user whose address is not verified a placeholder address, and never matches the unverified one', async () => {
    const outcome = await service.complete(tenantId, identity({ subject: 'unverified', email: 'local@corp.example', emailVerified: false }));
    expect(outcome).toMatchObject({ ok: true, created: true });
    const { rows } = await server.infra.pg.query<{ email: string }>('SELECT email FROM users WHERE id = $1', [(outcome as { userId: string }).userId]);
    expect(rows[0]!.email).toMatch(/^[0-9a-f-]{36}@corp\.federated\.invalid$/);
  });

  it('refuses a disabled provider and a disabled user', async () => {
    const off = await addProvider('switched-off', false);
    expect(await service.complete(tenantId, identity({ providerId: off, subject: 'someone' }))).toEqual({ ok: false, reason: 'provider_disabled' });
    expect(await count('federated_identities WHERE subject = $1', ['someone'])).toBe(0);

    const created = await service.complete(tenantId, identity({ subject: 'to-disable', email: 'to-disable@corp.example' }));
    await server.infra.pg.query('UPDATE users SET disabled_at = now() WHERE id = $1', [(created as { userId: string }).userId]);
    expect(await service.complete(tenantId, identity({ subject: 'to-disable', email: 'to-disable@corp.example' }))).toEqual({ ok: false, reason: 'user_disabled' });
  });

  it('settles concurrent first sign-ins of one person on one user and one link, without an error', async () => {
    for (const emailVerified of [true, false]) {
      const subject = `race-${emailVerified}`;
      const outcomes = await Promise.all(Array.from({ length: 8 }, () => service.complete(tenantId, identity({ subject, email: `${subject}@corp.example`, emailVerified }))));
      expect(outcomes.filter((o) => !o.ok)).toEqual([]);
      const users = new Set(outcomes.map((o) => (o as { userId: string }).userId));
      expect(users.size).toBe(1);
      expect(outcomes.filter((o) => (o as { created: boolean }).created)).toHaveLength(1);
      expect(await count('federated_identities WHERE subject = $1', [subject])).toBe(1);
      expect(await count('users u JOIN federated_identities f ON f.user_id = u.id WHERE f.subject = $1', [subject])).toBe(1);
      // No user row was left behind by a loser of the race.
      expect(await count("users WHERE tenant_id = $1 AND password_hash = '!federated' AND id NOT IN (SELECT user_id FROM federated_identities)", [tenantId])).toBe(0);
    }
  });

  describe('users the tenant\'s SCIM client created', () => {
    /** What SCIM's POST /Users writes: no password (empty hash), userName as the email, the client's externalId. */
    async function scimUser(email: string, externalId: string | null, active = true): Promise<string> {
      const { rows } = await server.infra.pg.query<{ id: string }>(
        `INSERT INTO users (id, tenant_id, email, external_id, password_hash, disabled_at, updated_at)
         VALUES (gen_random_uuid(), $1, $2, $3, '', CASE WHEN $4::boolean THEN NULL ELSE now() END, now()) RETURNING id`,
        [tenantId, email, externalId, active],
      );
      return rows[0]!.id;
    }
    async function scimBoundProvider(slug: string, by: 'externalId' | 'userName'): Promise<string> {
      const id = await addProvider(slug);
      await server.infra.pg.query('UPDATE identity_providers SET config = $2 WHERE id = $1', [id, JSON.stringify({ linkScimUsersBy: by })]);
      return id;
    }

    it('are refused (email_in_use) by a provider not bound to SCIM, as any existing user', async () => {
      await scimUser('scim-plain@corp.example', '00u-plain');
      expect(await service.complete(tenantId, identity({ subject: '00u-plain', email: 'scim-plain@corp.example' }))).toEqual({ ok: false, reason: 'email_in_use' });
      expect(await count('federated_identities WHERE subject = $1', ['00u-plain'])).toBe(0);
    });

    it('link when the IdP subject is their SCIM externalId (externalId rule): same user from then on, audited', async () => {
      const bound = await scimBoundProvider('okta-scim', 'externalId');
      const userId = await scimUser('dana@corp.example', '00u-dana');
      const first = await service.complete(tenantId, identity({ providerId: bound, subject: '00u-dana', email: 'dana@corp.example', groups: ['mcp-finance'] }));
      expect(first).toEqual({ ok: true, userId, created: false });
      expect(await service.complete(tenantId, identity({ providerId: bound, subject: '00u-dana', email: 'dana@corp.example' }))).toEqual({ ok: true, userId, created: false });
      expect(await count('federated_identities WHERE user_id = $1 AND provider_id = $2 AND subject = $3', [userId, bound, '00u-dana'])).toBe(1);
      await server.queues.drain(Queues.audit);
      expect(audit.filter((e) => e.action === 'federation.user_linked' && e.actor.subject === userId)).toEqual([expect.objectContaining({ outcome: 'success', target: 'okta-scim', details: expect.objectContaining({ scimMatch: 'externalId' }) })]);
      // The email alone does not link under this rule: another subject with Dana's address is refused.
      const mallory = await scimUser('mallory@corp.example', '00u-mallory');
      expect(await service.complete(tenantId, identity({ providerId: bound, subject: '00u-someone-else', email: 'mallory@corp.example' }))).toEqual({ ok: false, reason: 'email_in_use' });
      expect(await count('federated_identities WHERE user_id = $1', [mallory])).toBe(0);
    });

    it('link by a provider-verified email equal to the SCIM userName (userName rule), never an unverified one', async () => {
      const bound = await scimBoundProvider('entra-scim', 'userName');
      const userId = await scimUser('erin@corp.example', 'entra-object-erin');
      expect(await service.complete(tenantId, identity({ providerId: bound, subject: 'oid-erin', email: 'Erin@corp.example', emailVerified: false }))).toMatchObject({ ok: true, created: true });
      expect(await count('federated_identities WHERE user_id = $1', [userId])).toBe(0);
      expect(await service.complete(tenantId, identity({ providerId: bound, subject: 'oid-erin-2', email: 'Erin@corp.example' }))).toEqual({ ok: true, userId, created: false });
      // One link per provider and user: a second subject of the same provider cannot take the user over.
      expect(await service.complete(tenantId, identity({ providerId: bound, subject: 'oid-erin-3', email: 'erin@corp.example' }))).toEqual({ ok: false, reason: 'email_in_use' });
    });

    it('never link a local account (a user with a password), nor a deprovisioned one', async () => {
      const bound = await scimBoundProvider('scim-bound', 'userName');
      await server.createUser('demo', 'has-password@corp.example', 'correct horse battery staple');
      await server.infra.pg.query("UPDATE users SET external_id = 'ext-has-password' WHERE email = 'has-password@corp.example'");
      expect(await service.complete(tenantId, identity({ providerId: bound, subject: 'ext-has-password', email: 'has-password@corp.example' }))).toEqual({ ok: false, reason: 'email_in_use' });
      const byExternalId = await scimBoundProvider('scim-bound-ext', 'externalId');
      expect(await service.complete(tenantId, identity({ providerId: byExternalId, subject: 'ext-has-password', email: 'has-password@corp.example' }))).toEqual({ ok: false, reason: 'email_in_use' });
      expect(await count("federated_identities f JOIN users u ON u.id = f.user_id WHERE u.email = 'has-password@corp.example'", [])).toBe(0);

      const gone = await scimUser('gone@corp.example', 'ext-gone', false);
      expect(await service.complete(tenantId, identity({ providerId: bound, subject: 'ext-gone', email: 'gone@corp.example' }))).toEqual({ ok: false, reason: 'user_disabled' });
      expect(await count('federated_identities WHERE user_id = $1', [gone])).toBe(0);
    });

    it('settle concurrent first sign-ins of the person on one link', async () => {
      const bound = await scimBoundProvider('scim-race', 'externalId');
      const userId = await scimUser('race@corp.example', 'ext-race');
      const outcomes = await Promise.all(Array.from({ length: 6 }, () => service.complete(tenantId, identity({ providerId: bound, subject: 'ext-race', email: 'race@corp.example' }))));
      expect(outcomes).toEqual(Array.from({ length: 6 }, () => ({ ok: true, userId, created: false })));
      expect(await count('federated_identities WHERE user_id = $1', [userId])).toBe(1);
    });
  });

  it('refuses a provider of another tenant as a programming error', async () => {
    const otherTenant = await server.createTenant('elsewhere');
    await expect(service.complete(otherTenant, identity())).rejects.toThrow(/not in tenant/);
  });
});

describe('FederatedLogin over HTTP', () => {
  const flow = () => new OAuthFlow(server.url, 'demo', { email: 'unused@example.com', password: 'unused-password' });

  async function loginInteraction(jar: CookieJar, client: { clientId: string }, challenge: string): Promise<string> {
    const response = await flow().authorizeRequest(jar, {
      client_id: client.clientId,
      redirect_uri: 'http://127.0.0.1:9/callback',
      response_type: 'code',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'state-1',
      scope: 'openid mcp',
    });
    expect(response.status).toBe(303);
    const location = response.headers.get('location')!;
    const uid = /\/interaction\/([^/?]+)/.exec(location)![1]!;
    await browse(jar, new URL(location, server.url).href);
    return uid;
  }

  it('finishes the login interaction for the linked user: consent, code and token carry that user', async () => {
    const demo = flow();
    const client = await demo.register();
    const jar = new CookieJar();
    const { pkce } = await import('./support/browser.js');
    const { verifier, challenge } = pkce();
    const uid = await loginInteraction(jar, client, challenge);
    const brokerUrl = `${server.url}/t/demo/stand-in-broker/${uid}?provider=${providerId}&sub=http-1&email=http-1@corp.example&verified=true`;
    const callback = await demo.follow(jar, brokerUrl);
    expect(callback.searchParams.get('error'), callback.href).toBeNull();
    const { status, json } = await demo.redeem(client, callback.searchParams.get('code')!, verifier);
    expect(status, JSON.stringify(json)).toBe(200);
    const { rows } = await server.infra.pg.query<{ user_id: string }>('SELECT user_id FROM federated_identities WHERE subject = $1', ['http-1']);
    expect(decodeJwt(String(json['id_token'])).sub).toBe(rows[0]!.user_id);

    // The interaction is used up: a replayed callback finishes nothing.
    const replay = await browse(jar, brokerUrl);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain('expired');
  });

  it('answers a refused identity with a page and leaves the interaction waiting for a login', async () => {
    const demo = flow();
    const client = await demo.register();
    const jar = new CookieJar();
    const { pkce } = await import('./support/browser.js');
    const uid = await loginInteraction(jar, client, pkce().challenge);
    const refused = await browse(jar, `${server.url}/t/demo/stand-in-broker/${uid}?provider=${providerId}&sub=http-collide&email=local@corp.example&verified=true`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('already has an account');
    const page = await browse(jar, `${server.url}/t/demo/interaction/${uid}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/login');
  });

  it('refuses an unknown interaction', async () => {
    const response = await browse(new CookieJar(), `${server.url}/t/demo/stand-in-broker/no-such-uid?provider=${providerId}&sub=x`);
    expect(response.status).toBe(400);
  });
});
