// Proves the hand-written migrations match prisma/schema.prisma: every model round-trips through the
// generated client (every field, both fully populated and with only what is required, so defaults and
// NULLs are checked too), nullability matches field by field, and there are no extra columns.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient, migrate, Prisma } from '../src/index.js';
import type { PrismaClient } from '../src/index.js';
import { createEmptyDatabase, mode, queryOnce } from './support/databases.js';
import type { EmptyDatabase } from './support/databases.js';

let db: EmptyDatabase;
let prisma: PrismaClient;

beforeAll(async () => {
  db = await createEmptyDatabase();
  await migrate({ databaseUrl: db.url });
  prisma = createPrismaClient(db.url, { max: 2 });
});
afterAll(async () => {
  await prisma?.$disconnect();
  await db?.close();
});

const at = (iso: string) => new Date(iso);
const T = '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0001';
const U = '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0002';
const S = '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0003';
const json = { nested: { list: [1, 2.5, 'three', null, true], unicode: 'ünïcødé ✓' }, empty: {} };

async function nullableColumns(table: string): Promise<string[]> {
  const rows = await queryOnce<{ column_name: string }>(
    db.url,
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND is_nullable = 'YES' ORDER BY column_name",
    [table],
  );
  return rows.map((row) => row.column_name);
}

async function columnCount(table: string): Promise<number> {
  const rows = await queryOnce<{ n: number }>(db.url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1", [table]);
  return rows[0]?.n ?? -1;
}

/** Scalar lists are nullable columns in Prisma's PostgreSQL mapping, whatever the field says. */
async function expectShape(table: string, record: object, nullable: string[]): Promise<void> {
  expect(await nullableColumns(table)).toEqual([...nullable].sort());
  expect(await columnCount(table)).toBe(Object.keys(record).length);
}

describe(`schema.prisma vs migrated schema (${mode} PostgreSQL)`, () => {
  it('Tenant', async () => {
    const full = {
      id: T,
      slug: 'acme',
      displayName: 'Acme Corp',
      registrationPolicy: 'initial_access_token' as const,
      accessTokenTtl: 900,
      settings: json,
      localPasswordsEnabled: false,
      createdAt: at('2026-01-02T03:04:05.678Z'),
      updatedAt: at('2026-01-02T03:04:06.789Z'),
    };
    await prisma.tenant.create({ data: full });
    const read = await prisma.tenant.findUniqueOrThrow({ where: { id: T } });
    expect(read).toEqual(full);
    const minimal = await prisma.tenant.create({ data: { slug: 'minimal', displayName: 'Minimal' } });
    expect(await prisma.tenant.findUniqueOrThrow({ where: { slug: 'minimal' } })).toEqual({
      ...minimal,
      registrationPolicy: 'open',
      accessTokenTtl: 600,
      settings: {},
      localPasswordsEnabled: true,
    });
    expect(minimal.id).toMatch(/^[0-9a-f-]{36}$/);
    await expectShape('tenants', read, []);
    await expect(prisma.tenant.create({ data: { slug: 'acme', displayName: 'again' } })).rejects.toMatchObject({ code: 'P2002' });
  });

  it('User', async () => {
    const full = {
      id: U,
      tenantId: T,
      email: 'ada@example.com',
      displayName: 'Ada',
      passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
      disabledAt: at('2026-02-01T00:00:00.001Z'),
      externalId: 'ext-ada',
      createdAt: at('2026-01-01T00:00:00.000Z'),
      updatedAt: at('2026-01-01T00:00:00.500Z'),
    };
    await prisma.user.create({ data: full });
    const read = await prisma.user.findUniqueOrThrow({ where: { tenantId_email: { tenantId: T, email: 'ada@example.com' } } });
    expect(read).toEqual(full);
    const minimal = await prisma.user.create({ data: { tenantId: T, email: 'min@example.com', passwordHash: 'x' } });
    expect(await prisma.user.findUniqueOrThrow({ where: { id: minimal.id } })).toEqual({ ...minimal, displayName: null, disabledAt: null, externalId: null });
    await expectShape('users', read, ['display_name', 'disabled_at', 'external_id']);
    await expect(prisma.user.create({ data: { tenantId: T, email: 'ada@example.com', passwordHash: 'x' } })).rejects.toMatchObject({ code: 'P2002' });
  });

  it('OAuthClient', async () => {
    const full = {
      tenantId: T,
      clientId: 'client-1',
      kind: 'metadata_document' as const,
      metadata: { redirect_uris: ['https://app.example/cb'], token_endpoint_auth_method: 'none' },
      registrationAccessTokenHash: 'a'.repeat(64),
      fetchedAt: at('2026-03-01T10:00:00.000Z'),
      staleAt: at('2026-03-01T11:00:00.000Z'),
      disabledAt: at('2026-03-01T12:00:00.000Z'),
      lastUsedAt: at('2026-03-01T12:30:00.000Z'),
      createdAt: at('2026-03-01T09:00:00.000Z'),
      updatedAt: at('2026-03-01T09:30:00.000Z'),
    };
    await prisma.oAuthClient.create({ data: full });
    const read = await prisma.oAuthClient.findUniqueOrThrow({ where: { tenantId_clientId: { tenantId: T, clientId: 'client-1' } } });
    expect(read).toEqual(full);
    const minimal = await prisma.oAuthClient.create({ data: { tenantId: T, clientId: 'client-2', kind: 'dynamic', metadata: [] } });
    expect(await prisma.oAuthClient.findUniqueOrThrow({ where: { tenantId_clientId: { tenantId: T, clientId: 'client-2' } } })).toEqual({
      ...minimal,
      metadata: [],
      registrationAccessTokenHash: null,
      fetchedAt: null,
      staleAt: null,
      disabledAt: null,
      lastUsedAt: null,
    });
    await expectShape('oauth_clients', read, ['registration_access_token_hash', 'fetched_at', 'stale_at', 'disabled_at', 'last_used_at']);
  });

  it('Consent', async () => {
    const full = {
      id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0010',
      tenantId: T,
      userId: U,
      clientId: 'client-1',
      grantId: 'grant-1',
      scopes: ['openid', 'tools:read', 'tools:call'],
      resource: 'https://gw.example/t/acme/mcp',
      createdAt: at('2026-04-01T00:00:00.000Z'),
      updatedAt: at('2026-04-01T00:00:01.000Z'),
      revokedAt: at('2026-04-02T00:00:00.000Z'),
      toolVersions: { 'github/create_issue': 'a'.repeat(64) },
    };
    await prisma.consent.create({ data: full });
    const read = await prisma.consent.findUniqueOrThrow({ where: { tenantId_grantId: { tenantId: T, grantId: 'grant-1' } } });
    expect(read).toEqual(full);
    const minimal = await prisma.consent.create({ data: { tenantId: T, userId: U, clientId: 'c', grantId: 'grant-2', resource: 'r' } });
    expect(await prisma.consent.findUniqueOrThrow({ where: { id: minimal.id } })).toEqual({ ...minimal, scopes: [], revokedAt: null, toolVersions: {} });
    await expectShape('consents', read, ['scopes', 'revoked_at']);
  });

  it('OidcArtifact', async () => {
    const full = {
      tenantId: T,
      model: 'RefreshToken',
      id: 'rt-1',
      payload: { ...json, kind: 'RefreshToken', exp: 1_900_000_000 },
      grantId: 'grant-1',
      userCode: 'ABCD-EFGH',
      uid: 'uid-1',
      expiresAt: at('2026-05-01T00:00:00.000Z'),
      consumedAt: at('2026-04-15T00:00:00.123Z'),
      createdAt: at('2026-04-01T00:00:00.000Z'),
    };
    await prisma.oidcArtifact.create({ data: full });
    const read = await prisma.oidcArtifact.findUniqueOrThrow({ where: { tenantId_model_id: { tenantId: T, model: 'RefreshToken', id: 'rt-1' } } });
    expect(read).toEqual(full);
    const minimal = await prisma.oidcArtifact.create({ data: { tenantId: T, model: 'Grant', id: 'g-1', payload: {} } });
    expect(await prisma.oidcArtifact.findUniqueOrThrow({ where: { tenantId_model_id: { tenantId: T, model: 'Grant', id: 'g-1' } } })).toEqual({
      ...minimal,
      grantId: null,
      userCode: null,
      uid: null,
      expiresAt: null,
      consumedAt: null,
    });
    await expectShape('oidc_artifacts', read, ['grant_id', 'user_code', 'uid', 'expires_at', 'consumed_at']);
  });

  it('SigningKey', async () => {
    const full = {
      kid: 'kid-1',
      tenantId: T,
      alg: 'ES256',
      publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'kid-1' },
      privateJwkEncrypted: 'iv.tag.ciphertext',
      state: 'retired' as const,
      createdAt: at('2026-01-01T00:00:00.000Z'),
      activatedAt: at('2026-01-02T00:00:00.000Z'),
      retiredAt: at('2026-02-02T00:00:00.000Z'),
      notAfter: at('2026-02-03T00:00:00.000Z'),
    };
    await prisma.signingKey.create({ data: full });
    const read = await prisma.signingKey.findUniqueOrThrow({ where: { kid: 'kid-1' } });
    expect(read).toEqual(full);
    const minimal = await prisma.signingKey.create({ data: { kid: 'kid-2', tenantId: T, alg: 'RS256', publicJwk: {}, privateJwkEncrypted: 'e', state: 'next' } });
    expect(await prisma.signingKey.findUniqueOrThrow({ where: { kid: 'kid-2' } })).toEqual({ ...minimal, activatedAt: null, retiredAt: null, notAfter: null });
    await expectShape('signing_keys', read, ['activated_at', 'retired_at', 'not_after']);
  });

  it('Session', async () => {
    const full = {
      id: S,
      tenantId: T,
      kind: 'login' as const,
      subject: U,
      clientId: 'client-1',
      grantId: 'grant-1',
      protocolVersion: '2025-11-25',
      clientInfo: { name: 'inspector', version: '1.0.0' },
      capabilities: { sampling: {}, elicitation: { form: {} } },
      upstreams: [{ server: 'github', sessionId: 'up-1' }],
      createdAt: at('2026-06-01T00:00:00.000Z'),
      lastSeenAt: at('2026-06-01T00:05:00.000Z'),
      idleTimeoutSeconds: 1800,
      expiresAt: at('2026-06-02T00:00:00.000Z'),
      state: 'revoked' as const,
      endedReason: 'user_revoked',
      endedAt: at('2026-06-01T00:06:00.000Z'),
      version: 3,
    };
    await prisma.session.create({ data: full });
    const read = await prisma.session.findUniqueOrThrow({ where: { id: S } });
    expect(read).toEqual(full);
    const now = new Date();
    const minimal = await prisma.session.create({
      data: { id: 's-2', tenantId: T, kind: 'mcp', subject: 'sub', clientId: 'c', createdAt: now, lastSeenAt: now, idleTimeoutSeconds: 60, expiresAt: now },
    });
    expect(await prisma.session.findUniqueOrThrow({ where: { id: 's-2' } })).toEqual({
      ...minimal,
      grantId: null,
      protocolVersion: null,
      clientInfo: null,
      capabilities: null,
      upstreams: [],
      state: 'active',
      endedReason: null,
      endedAt: null,
      version: 0,
    });
    await expectShape('sessions', read, ['grant_id', 'protocol_version', 'client_info', 'capabilities', 'ended_reason', 'ended_at']);
  });

  it('RevokedGrant', async () => {
    const full = { tenantId: T, grantId: 'grant-1', reason: 'consent_revoked', notAfter: at('2026-07-01T00:00:00.000Z'), createdAt: at('2026-06-01T00:00:00.000Z') };
    await prisma.revokedGrant.create({ data: full });
    const read = await prisma.revokedGrant.findUniqueOrThrow({ where: { tenantId_grantId: { tenantId: T, grantId: 'grant-1' } } });
    expect(read).toEqual(full);
    await expectShape('revoked_grants', read, []);
  });

  it('UpstreamServer and Tool', async () => {
    const server = {
      id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0020',
      tenantId: T,
      name: 'github',
      transport: 'stdio' as const,
      url: 'https://mcp.example/mcp',
      command: 'npx',
      args: ['-y', '@example/server', '--flag=a b'],
      secretsEncrypted: 'iv.tag.ct',
      credentialKind: 'static_header',
      protocolVersion: '2025-06-18',
      sandbox: false,
      readOnlyPaths: ['/opt/mcp/example', '/srv/shared data'],
      protocolEra: '2026-07-28',
      protocolDetectedAt: at('2026-01-01T00:00:00.002Z'),
      enabled: false,
      createdAt: at('2026-01-01T00:00:00.000Z'),
      updatedAt: at('2026-01-01T00:00:00.001Z'),
    };
    await prisma.upstreamServer.create({ data: server });
    const readServer = await prisma.upstreamServer.findUniqueOrThrow({ where: { tenantId_name: { tenantId: T, name: 'github' } } });
    expect(readServer).toEqual(server);
    const minimalServer = await prisma.upstreamServer.create({ data: { tenantId: T, name: 'bare', transport: 'http' } });
    expect(await prisma.upstreamServer.findUniqueOrThrow({ where: { id: minimalServer.id } })).toEqual({
      ...minimalServer,
      url: null,
      command: null,
      args: [],
      secretsEncrypted: null,
      credentialKind: 'none',
      protocolVersion: null,
      sandbox: true,
      readOnlyPaths: [],
      protocolEra: 'auto',
      protocolDetectedAt: null,
      enabled: true,
    });
    await expectShape('upstream_servers', readServer, ['url', 'command', 'args', 'secrets_encrypted', 'protocol_version', 'protocol_detected_at', 'read_only_paths']);

    const tool = {
      id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0021',
      tenantId: T,
      serverId: server.id,
      name: 'create_issue',
      title: 'Create issue',
      description: 'Opens an issue',
      requiredScopes: ['tools:github:write'],
      inputSchema: { type: 'object', properties: { title: { type: 'string' } }, required: ['title'] },
      enabled: false,
      approvedHash: 'a'.repeat(64),
      approvedDefinition: { name: 'create_issue', description: 'Opens an issue', inputSchema: { type: 'object' } },
      approvedAt: at('2026-01-02T00:00:00.000Z'),
      seenHash: 'b'.repeat(64),
      seenDefinition: { name: 'create_issue', description: 'Opens an issue and reads your mail', inputSchema: { type: 'object' } },
      seenAt: at('2026-01-03T00:00:00.000Z'),
      updatedAt: at('2026-01-03T00:00:00.000Z'),
    };
    await prisma.tool.create({ data: tool });
    const readTool = await prisma.tool.findUniqueOrThrow({ where: { serverId_name: { serverId: server.id, name: 'create_issue' } } });
    expect(readTool).toEqual(tool);
    const minimalTool = await prisma.tool.create({ data: { tenantId: T, serverId: server.id, name: 'ping' } });
    expect(await prisma.tool.findUniqueOrThrow({ where: { id: minimalTool.id } })).toEqual({
      ...minimalTool,
      title: null,
      description: null,
      requiredScopes: [],
      inputSchema: null,
      enabled: true,
      approvedHash: null,
      approvedDefinition: null,
      approvedAt: null,
      seenHash: null,
      seenDefinition: null,
      seenAt: null,
    });
    await expectShape('tools', readTool, ['title', 'description', 'required_scopes', 'input_schema', 'approved_hash', 'approved_definition', 'approved_at', 'seen_hash', 'seen_definition', 'seen_at']);
  });

  it('AuditEvent', async () => {
    const full = {
      id: 'evt-1',
      tenantId: T,
      occurredAt: at('2026-08-01T12:34:56.789Z'),
      actorSubject: U,
      actorClientId: 'client-1',
      action: 'consent.revoke',
      target: 'grant-1',
      outcome: 'denied' as const,
      requestId: 'req-1',
      details: json,
    };
    await prisma.auditEvent.create({ data: { ...full, seq: 9_007_199_254_740_993n, txid: 42n } });
    const read = await prisma.auditEvent.findUniqueOrThrow({ where: { id: 'evt-1' } });
    // Bigints beyond 2^53 survive (seq is a bigserial, txid an xid8 value).
    expect(read).toEqual({ ...full, seq: 9_007_199_254_740_993n, txid: 42n });
    const minimal = await prisma.auditEvent.create({ data: { id: 'evt-2', tenantId: T, occurredAt: new Date(), action: 'login', outcome: 'success' } });
    const readMinimal = await prisma.auditEvent.findUniqueOrThrow({ where: { id: 'evt-2' } });
    expect(readMinimal).toEqual({
      ...minimal,
      actorSubject: null,
      actorClientId: null,
      target: null,
      requestId: null,
      details: {},
    });
    // Defaults: the next sequence value and the id of the inserting transaction (what pg_current_xact_id() says inside it).
    expect(readMinimal.seq).toBeGreaterThan(0n);
    const [inserted, current] = await prisma.$transaction([
      prisma.$queryRaw<Array<{ txid: bigint }>>`INSERT INTO audit_events (id, tenant_id, occurred_at, action, outcome) VALUES ('evt-3', ${T}::uuid, now(), 'login', 'success') RETURNING txid`,
      prisma.$queryRaw<Array<{ txid: bigint }>>`SELECT pg_current_xact_id()::text::bigint AS txid`,
    ]);
    expect(inserted[0]?.txid).toBe(current[0]?.txid);
    expect(inserted[0]?.txid).toBeGreaterThan(0n);
    await expect(prisma.auditEvent.create({ data: { id: 'evt-4', tenantId: T, occurredAt: new Date(), action: 'login', outcome: 'success', seq: readMinimal.seq } })).rejects.toMatchObject({
      code: 'P2002',
    });
    await expectShape('audit_events', read, ['actor_subject', 'actor_client_id', 'target', 'request_id']);
  });

  it('AuditExportCursor', async () => {
    const full = { sink: 'webhook', lastTxid: 9_007_199_254_740_993n, lastSeq: 17n, updatedAt: at('2026-12-11T00:00:00.123Z') };
    await prisma.auditExportCursor.create({ data: full });
    const read = await prisma.auditExportCursor.findUniqueOrThrow({ where: { sink: 'webhook' } });
    expect(read).toEqual(full);
    const minimal = await prisma.auditExportCursor.create({ data: { sink: 'syslog' } });
    expect(await prisma.auditExportCursor.findUniqueOrThrow({ where: { sink: 'syslog' } })).toEqual({ ...minimal, lastTxid: 0n, lastSeq: 0n });
    await expectShape('audit_export_cursors', read, []);
    await expect(prisma.auditExportCursor.create({ data: { sink: 'webhook' } })).rejects.toMatchObject({ code: 'P2002' });
  });

  it('AdminRoleAssignment, AdminRoleTenant and AdminTotp', async () => {
    const full = {
      id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0004',
      userId: U,
      clientId: null,
      role: 'tenant_admin' as const,
      allTenants: false,
      createdAt: at('2026-03-01T00:00:00.001Z'),
      updatedAt: at('2026-03-01T00:00:00.002Z'),
    };
    await prisma.adminRoleAssignment.create({ data: full });
    expect(await prisma.adminRoleAssignment.findUniqueOrThrow({ where: { userId: U } })).toEqual(full);
    await expectShape('admin_role_assignments', full, ['client_id', 'user_id']);
    const minimal = await prisma.adminRoleAssignment.create({ data: { clientId: 'automation', role: 'auditor' } });
    expect(await prisma.adminRoleAssignment.findUniqueOrThrow({ where: { clientId: 'automation' } })).toEqual({ ...minimal, userId: null, allTenants: false });
    // Exactly one principal per row.
    await expect(prisma.adminRoleAssignment.create({ data: { role: 'platform_admin' } })).rejects.toThrow();
    await expect(prisma.adminRoleAssignment.create({ data: { userId: U, clientId: 'both', role: 'platform_admin' } })).rejects.toThrow();

    const scope = { assignmentId: full.id, tenantId: T };
    await prisma.adminRoleTenant.create({ data: scope });
    expect(await prisma.adminRoleTenant.findUniqueOrThrow({ where: { assignmentId_tenantId: scope } })).toEqual(scope);
    await expectShape('admin_role_tenants', scope, []);

    const totp = { userId: U, secretEncrypted: 'iv.tag.ct', lastUsedStep: 58_000_000n, createdAt: at('2026-03-01T00:00:00.003Z') };
    await prisma.adminTotp.create({ data: totp });
    expect(await prisma.adminTotp.findUniqueOrThrow({ where: { userId: U } })).toEqual(totp);
    await expectShape('admin_totp', totp, []);
    await prisma.adminTotp.delete({ where: { userId: U } });
    expect((await prisma.adminTotp.create({ data: { userId: U, secretEncrypted: 'x' } })).lastUsedStep).toBe(0n);
  });

  it('IdentityProvider, FederatedIdentity, GroupMapping and SCIM state', async () => {
    const P = '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0040';
    const provider = {
      id: P,
      tenantId: T,
      slug: 'corp',
      kind: 'saml' as const,
      displayName: 'Corp SSO',
      preset: 'entra',
      emailDomains: ['corp.example', 'corp.example.org'],
      config: json,
      secretsEncrypted: 'v1.sealed',
      enabled: false,
      createdAt: at('2026-05-01T00:00:00.000Z'),
      updatedAt: at('2026-05-01T00:00:01.000Z'),
    };
    await prisma.identityProvider.create({ data: provider });
    const readProvider = await prisma.identityProvider.findUniqueOrThrow({ where: { tenantId_slug: { tenantId: T, slug: 'corp' } } });
    expect(readProvider).toEqual(provider);
    const minimalProvider = await prisma.identityProvider.create({ data: { tenantId: T, slug: 'min', kind: 'oidc', displayName: 'Min' } });
    expect(await prisma.identityProvider.findUniqueOrThrow({ where: { id: minimalProvider.id } })).toEqual({ ...minimalProvider, preset: 'generic', emailDomains: [], config: {}, secretsEncrypted: null, enabled: true });
    await expectShape('identity_providers', readProvider, ['email_domains', 'secrets_encrypted']);

    const identity = {
      id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0041',
      tenantId: T,
      userId: U,
      providerId: P,
      issuer: 'https://idp.corp.example',
      subject: 'abc-123',
      email: 'ada@corp.example',
      groups: ['mcp-finance', 'staff'],
      lastSignInAt: at('2026-05-02T00:00:00.000Z'),
      createdAt: at('2026-05-01T00:00:00.000Z'),
    };
    await prisma.federatedIdentity.create({ data: identity });
    const readIdentity = await prisma.federatedIdentity.findUniqueOrThrow({ where: { tenantId_issuer_subject: { tenantId: T, issuer: identity.issuer, subject: 'abc-123' } } });
    expect(readIdentity).toEqual(identity);
    await expectShape('federated_identities', readIdentity, ['email', 'groups', 'last_sign_in_at']);
    await expect(prisma.federatedIdentity.create({ data: { tenantId: T, userId: U, providerId: P, issuer: identity.issuer, subject: 'abc-123' } })).rejects.toMatchObject({ code: 'P2002' });

    const mapping = { id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0042', tenantId: T, providerId: P, groupName: 'mcp-finance', scopes: ['finance:read'], adminRole: 'auditor' as const, createdAt: at('2026-05-01T00:00:00.000Z') };
    await prisma.groupMapping.create({ data: mapping });
    const readMapping = await prisma.groupMapping.findUniqueOrThrow({ where: { id: mapping.id } });
    expect(readMapping).toEqual(mapping);
    await expectShape('group_mappings', readMapping, ['provider_id', 'scopes', 'admin_role']);

    const group = { id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0043', tenantId: T, displayName: 'Finance', externalId: 'g-1', createdAt: at('2026-05-01T00:00:00.000Z'), updatedAt: at('2026-05-01T00:00:00.500Z') };
    await prisma.scimGroup.create({ data: group });
    const readGroup = await prisma.scimGroup.findUniqueOrThrow({ where: { tenantId_displayName: { tenantId: T, displayName: 'Finance' } } });
    expect(readGroup).toEqual(group);
    await expectShape('scim_groups', readGroup, ['external_id']);
    await prisma.scimGroupMember.create({ data: { groupId: group.id, userId: U } });
    expect(await prisma.scimGroupMember.findMany({ where: { userId: U } })).toEqual([{ groupId: group.id, userId: U }]);
    await expectShape('scim_group_members', { groupId: group.id, userId: U }, []);

    const token = { id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0044', tenantId: T, tokenHash: 'b'.repeat(64), lastUsedAt: at('2026-05-03T00:00:00.000Z'), createdAt: at('2026-05-01T00:00:00.000Z') };
    await prisma.scimToken.create({ data: token });
    const readToken = await prisma.scimToken.findUniqueOrThrow({ where: { tokenHash: token.tokenHash } });
    expect(readToken).toEqual(token);
    await expectShape('scim_tokens', readToken, ['last_used_at']);
  });

  it('TrustedAssertionIssuer, IdJagAudience, ClientPreApproval (ID-JAG and pre-approved clients)', async () => {
    const issuer = {
      id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0051',
      tenantId: T,
      issuer: 'https://idp.corp.example',
      jwksUri: 'https://idp.corp.example/jwks',
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid: 'k1' }] },
      allowedClientIds: ['agent', 'other-agent'],
      enabled: false,
      provisionUsers: true,
      createdAt: at('2026-06-01T00:00:00.000Z'),
      updatedAt: at('2026-06-01T00:00:01.000Z'),
    };
    await prisma.trustedAssertionIssuer.create({ data: issuer });
    const readIssuer = await prisma.trustedAssertionIssuer.findUniqueOrThrow({ where: { tenantId_issuer: { tenantId: T, issuer: issuer.issuer } } });
    expect(readIssuer).toEqual(issuer);
    const minimalIssuer = await prisma.trustedAssertionIssuer.create({ data: { tenantId: T, issuer: 'https://min.example', jwksUri: 'https://min.example/jwks' } });
    expect(await prisma.trustedAssertionIssuer.findUniqueOrThrow({ where: { id: minimalIssuer.id } })).toEqual({ ...minimalIssuer, jwks: null, allowedClientIds: [], enabled: true, provisionUsers: false });
    await expectShape('trusted_assertion_issuers', readIssuer, ['jwks_uri', 'jwks', 'allowed_client_ids']);
    // Keys from somewhere: a row with neither a jwks_uri nor inline keys is refused by the database.
    await expect(prisma.trustedAssertionIssuer.create({ data: { tenantId: T, issuer: 'https://keyless.example' } })).rejects.toThrow();
    await expect(prisma.trustedAssertionIssuer.create({ data: { tenantId: T, issuer: issuer.issuer, jwksUri: 'https://x.example' } })).rejects.toMatchObject({ code: 'P2002' });

    const audience = {
      id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0052',
      tenantId: T,
      audience: 'https://as.example/t/wiki',
      resources: ['https://mcp.example/t/wiki/mcp'],
      allowedClientIds: ['agent'],
      scopes: ['mcp', 'wiki:read'],
      enabled: false,
      createdAt: at('2026-06-01T00:00:00.000Z'),
      updatedAt: at('2026-06-01T00:00:02.000Z'),
    };
    await prisma.idJagAudience.create({ data: audience });
    const readAudience = await prisma.idJagAudience.findUniqueOrThrow({ where: { tenantId_audience: { tenantId: T, audience: audience.audience } } });
    expect(readAudience).toEqual(audience);
    const minimalAudience = await prisma.idJagAudience.create({ data: { tenantId: T, audience: 'https://as2.example' } });
    expect(await prisma.idJagAudience.findUniqueOrThrow({ where: { id: minimalAudience.id } })).toEqual({ ...minimalAudience, resources: [], allowedClientIds: [], scopes: [], enabled: true });
    await expectShape('id_jag_audiences', readAudience, ['resources', 'allowed_client_ids', 'scopes']);

    const approval = { id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0053', tenantId: T, clientId: 'agent', scopes: ['mcp'], createdBy: 'admin@example.com', createdAt: at('2026-06-01T00:00:00.000Z') };
    await prisma.clientPreApproval.create({ data: approval });
    const readApproval = await prisma.clientPreApproval.findUniqueOrThrow({ where: { tenantId_clientId: { tenantId: T, clientId: 'agent' } } });
    expect(readApproval).toEqual(approval);
    await expectShape('client_pre_approvals', readApproval, ['scopes']);
    await expect(prisma.clientPreApproval.create({ data: { tenantId: T, clientId: 'agent', createdBy: 'x' } })).rejects.toMatchObject({ code: 'P2002' });
  });

  it('ConnectedAccount and UpstreamOAuthClient (connected accounts)', async () => {
    const serverId = '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0060';
    await prisma.upstreamServer.create({ data: { id: serverId, tenantId: T, name: 'notes-oauth', transport: 'http', url: 'https://notes.example/mcp', credentialKind: 'oauth_user' } });
    const full = {
      id: '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0061',
      tenantId: T,
      userId: U,
      serverId,
      tokensEncrypted: 'v1.iv.tag.ct',
      expiresAt: at('2026-07-01T00:00:00.000Z'),
      scopes: ['notes:read', 'notes:write'],
      createdAt: at('2026-06-01T00:00:00.000Z'),
      refreshedAt: at('2026-06-02T00:00:00.000Z'),
    };
    await prisma.connectedAccount.create({ data: full });
    const read = await prisma.connectedAccount.findUniqueOrThrow({ where: { userId_serverId: { userId: U, serverId } } });
    expect(read).toEqual(full);
    await expectShape('connected_accounts', read, ['expires_at', 'refreshed_at', 'scopes']);
    // One account per user and server.
    await expect(prisma.connectedAccount.create({ data: { tenantId: T, userId: U, serverId, tokensEncrypted: 'x' } })).rejects.toMatchObject({ code: 'P2002' });
    const client = { serverId, tenantId: T, issuer: 'https://as.notes.example', clientEncrypted: 'v1.iv.tag.ct', createdAt: at('2026-06-01T00:00:00.000Z'), updatedAt: at('2026-06-01T00:00:00.001Z') };
    await prisma.upstreamOAuthClient.create({ data: client });
    const readClient = await prisma.upstreamOAuthClient.findUniqueOrThrow({ where: { serverId } });
    expect({ ...readClient, updatedAt: client.updatedAt }).toEqual(client);
    await expectShape('upstream_oauth_clients', readClient, []);
    // Only what is required: the database's own defaults.
    await prisma.connectedAccount.delete({ where: { id: full.id } });
    await queryOnce(db.url, "INSERT INTO connected_accounts (id, tenant_id, user_id, server_id, tokens_encrypted) VALUES (gen_random_uuid(), $1, $2, $3, 'v1.x')", [T, U, serverId]);
    const minimal = await prisma.connectedAccount.findUniqueOrThrow({ where: { userId_serverId: { userId: U, serverId } } });
    expect(minimal).toMatchObject({ expiresAt: null, scopes: [], refreshedAt: null });
    // Removing the server removes its accounts and its client (FK cascade).
    await prisma.upstreamServer.delete({ where: { id: serverId } });
    expect(await prisma.connectedAccount.count({ where: { serverId } })).toBe(0);
    expect(await prisma.upstreamOAuthClient.count({ where: { serverId } })).toBe(0);
  });

  it('CallPolicy', async () => {
    const full = {
      tenantId: T,
      cedar: '@id("a") permit (principal, action, resource);',
      defaultEffect: 'deny' as const,
      version: 7,
      recordArguments: true,
      redactedKeys: ['*token*', 'password'],
      updatedBy: 'user:0e6f1a52',
      updatedAt: at('2026-06-01T00:00:00.000Z'),
    };
    await prisma.callPolicy.create({ data: full });
    const read = await prisma.callPolicy.findUniqueOrThrow({ where: { tenantId: T } });
    expect({ ...read, updatedAt: full.updatedAt }).toEqual(full);
    await expectShape('call_policies', read, ['redacted_keys', 'updated_by']);
    await expect(prisma.callPolicy.create({ data: { tenantId: T } })).rejects.toMatchObject({ code: 'P2002' });
    // The database's own defaults: an empty policy, default allow, version 1, no arguments recorded.
    const other = '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0050';
    await queryOnce(db.url, "INSERT INTO tenants (id, slug, display_name, updated_at) VALUES ($1, 'policy-defaults', 'P', now())", [other]);
    await queryOnce(db.url, 'INSERT INTO call_policies (tenant_id, updated_at) VALUES ($1, now())', [other]);
    expect(await prisma.callPolicy.findUniqueOrThrow({ where: { tenantId: other } })).toMatchObject({ cedar: '', defaultEffect: 'allow', version: 1, recordArguments: false, redactedKeys: [], updatedBy: null });
  });

  it('the database itself holds the schema defaults (Prisma also sends static defaults, so a plain insert checks them)', async () => {
    const tenantId = '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0030';
    const serverId = '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0031';
    const toolId = '0e6f1a52-8d5c-4a55-9d7c-3b2d3c1e0032';
    await queryOnce(db.url, "INSERT INTO tenants (id, slug, display_name, updated_at) VALUES ($1, 'raw', 'Raw', now())", [tenantId]);
    await queryOnce(db.url, "INSERT INTO upstream_servers (id, tenant_id, name, transport, updated_at) VALUES ($1, $2, 'raw', 'http', now())", [serverId, tenantId]);
    await queryOnce(db.url, "INSERT INTO tools (id, tenant_id, server_id, name, updated_at) VALUES ($1, $2, $3, 'raw', now())", [toolId, tenantId, serverId]);
    await queryOnce(
      db.url,
      "INSERT INTO sessions (id, tenant_id, kind, subject, client_id, created_at, last_seen_at, idle_timeout_seconds, expires_at) VALUES ('raw', $1, 'mcp', 's', 'c', now(), now(), 1, now())",
      [tenantId],
    );
    await queryOnce(db.url, "INSERT INTO audit_events (id, tenant_id, occurred_at, action, outcome) VALUES ('raw', $1, now(), 'a', 'success')", [tenantId]);
    await queryOnce(db.url, "INSERT INTO revoked_grants (tenant_id, grant_id, reason, not_after) VALUES ($1, 'raw', 'r', now())", [tenantId]);

    const before = Date.now() - 60_000;
    const tenant = await prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
    expect(tenant).toMatchObject({ registrationPolicy: 'open', accessTokenTtl: 600, settings: {} });
    expect(tenant.createdAt.getTime()).toBeGreaterThan(before);
    expect(await prisma.upstreamServer.findUniqueOrThrow({ where: { id: serverId } })).toMatchObject({ args: [], credentialKind: 'none', enabled: true });
    expect(await prisma.tool.findUniqueOrThrow({ where: { id: toolId } })).toMatchObject({ requiredScopes: [] });
    expect(await prisma.session.findUniqueOrThrow({ where: { id: 'raw' } })).toMatchObject({ upstreams: [], state: 'active' });
    expect(await prisma.auditEvent.findUniqueOrThrow({ where: { id: 'raw' } })).toMatchObject({ details: {} });
    const grant = await prisma.revokedGrant.findUniqueOrThrow({ where: { tenantId_grantId: { tenantId, grantId: 'raw' } } });
    expect(grant.createdAt.getTime()).toBeGreaterThan(before);
  });

  it('JSON null is distinguishable from SQL NULL where the field is optional', async () => {
    await prisma.session.update({ where: { id: S }, data: { clientInfo: Prisma.JsonNull, capabilities: Prisma.DbNull } });
    const rows = await queryOnce<{ client_info: unknown; capabilities_is_null: boolean }>(
      db.url,
      'SELECT client_info, capabilities IS NULL AS capabilities_is_null FROM sessions WHERE id = $1',
      [S],
    );
    expect(rows).toEqual([{ client_info: null, capabilities_is_null: true }]);
  });

  it('deleting a tenant cascades to every table that references it', async () => {
    await prisma.tenant.delete({ where: { id: T } });
    const tables = ['users', 'oauth_clients', 'consents', 'oidc_artifacts', 'signing_keys', 'sessions', 'revoked_grants', 'upstream_servers', 'tools', 'audit_events', 'admin_role_tenants', 'identity_providers', 'federated_identities', 'group_mappings', 'scim_groups', 'scim_tokens', 'call_policies', 'connected_accounts', 'upstream_oauth_clients'];
    for (const table of tables) {
      const rows = await queryOnce<{ n: number }>(db.url, `SELECT count(*)::int AS n FROM "${table}" WHERE tenant_id = $1`, [T]);
      expect({ table, n: rows[0]?.n }).toEqual({ table, n: 0 });
    }
    // With its user gone, the person's role and TOTP secret go too.
    expect(await prisma.adminRoleAssignment.count({ where: { userId: U } })).toBe(0);
    expect(await prisma.adminTotp.count({ where: { userId: U } })).toBe(0);
    expect(await prisma.scimGroupMember.count({ where: { userId: U } })).toBe(0);
  });
});
