import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from 'selfsigned';
import { BOOTSTRAP_ADMIN as ADMIN } from './support/admin-and-tokens.js';
import { runAirlock, startCliAuthServer, type CliAuthServer, type CliRun as Run } from './support/admin-cli-harness.js';

// `airlock admin identity-providers|group-mappings|tenants local-passwords` (issue 16) as a script runs
// them: the committed bin as a child process against a real auth server. The OpenID Connect client
// secret comes from the environment and is never printed back.

const CLIENT_SECRET = `cli-idp-secret-${randomBytes(6).toString('hex')}`;

let server: CliAuthServer;
let dir: string;
const stderrs: string[] = [];

async function airlock(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const run = await runAirlock(args, { AIRLOCK_AUTH_URL: server.authUrl, AIRLOCK_ADMIN_CLIENT_ID: ADMIN.id, AIRLOCK_ADMIN_CLIENT_SECRET: ADMIN.secret, ...env });
  stderrs.push(run.stderr);
  return run;
}

function expectOneErrorLine(run: Run, error: string, code: number): void {
  expect(run.code, run.stderr).toBe(code);
  expect(run.stderr.split('\n').filter(Boolean), run.stderr).toHaveLength(1);
  expect(run.stderr).toMatch(new RegExp(`^airlock: ${error}: \\S.*\\n$`));
}

beforeAll(async () => {
  server = await startCliAuthServer();
  dir = await mkdtemp(join(tmpdir(), 'airlock-cli-idp-'));
});

afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('airlock admin identity-providers and group-mappings', () => {
  const tenant = `cli-idp-${randomBytes(4).toString('hex')}`;

  it('adds an OpenID Connect provider with the secret from the environment, never printing it', async () => {
    expect((await airlock(['tenants', 'create', tenant])).code).toBe(0);
    const args = ['identity-providers', 'add-oidc', tenant, 'corp', '--issuer', 'https://idp.example', '--client-id', 'airlock', '--name', 'Corp SSO', '--domain', 'corp.example'];
    // Without the secret in the environment: a usage error, nothing sent.
    expectOneErrorLine(await airlock(args), 'usage', 2);
    const added = await airlock(args, { AIRLOCK_IDP_CLIENT_SECRET: CLIENT_SECRET });
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^added identity provider:\s+corp$/m);
    expect(added.stdout).toMatch(new RegExp(`^redirect uri:\\s+${server.authUrl}/t/${tenant}/federation/corp/callback$`, 'm'));
    expect(added.stdout).toMatch(/^client secret:\s+set \(never shown\)$/m);
    const shown = await airlock(['identity-providers', 'get', tenant, 'corp', '--json']);
    expect(JSON.parse(shown.stdout)).toMatchObject({ slug: 'corp', kind: 'oidc', hasClientSecret: true, emailDomains: ['corp.example'], config: { issuer: 'https://idp.example', clientId: 'airlock' } });
    // The preset's rules come back as the API's refusal, on one line.
    const entra = await airlock(['identity-providers', 'add-oidc', tenant, 'entra', '--issuer', 'https://idp.example', '--client-id', 'x', '--preset', 'entra'], { AIRLOCK_IDP_CLIENT_SECRET: CLIENT_SECRET });
    expectOneErrorLine(entra, 'invalid_request', 1);
    expect(entra.stderr).toContain('entra: issuer must be');
  }, 120_000);

  it('adds a SAML provider from certificate files, lists, disables, enables and updates from a config file', async () => {
    const pems = await generate([{ name: 'commonName', value: 'CLI test IdP (test only)' }], { keySize: 2048, notAfterDate: new Date(Date.now() + 86_400_000), algorithm: 'sha256' });
    const certFile = join(dir, 'idp.pem');
    await writeFile(certFile, pems.cert);
    const added = await airlock(['identity-providers', 'add-saml', tenant, 'corp-saml', '--entity-id', 'https://saml.example/entity', '--sso-url', 'https://saml.example/sso', '--cert-file', certFile, '--domain', 'saml.example', '--email-verified', '--json']);
    expect(added.code, added.stderr).toBe(0);
    const saml = JSON.parse(added.stdout) as { kind: string; callbackUrl: string; metadataUrl: string; config: { signingCertificates: string[]; emailVerified: boolean } };
    expect(saml).toMatchObject({ kind: 'saml', callbackUrl: `${server.authUrl}/t/${tenant}/federation/corp-saml/saml/acs`, metadataUrl: `${server.authUrl}/t/${tenant}/federation/corp-saml/saml/metadata`, config: { emailVerified: true } });
    expect(saml.config.signingCertificates).toEqual([pems.cert.trim()]);

    const table = await airlock(['identity-providers', 'list', tenant]);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^SLUG {2,}KIND {2,}NAME {2,}PRESET {2,}DOMAINS {2,}ENABLED {2,}USERS\n/);
    expect(table.stdout).toMatch(/^corp-saml {2,}saml {2,}corp-saml {2,}- {2,}saml\.example {2,}yes {2,}0$/m);
    expect(table.stdout).not.toContain(CLIENT_SECRET);

    expect((await airlock(['identity-providers', 'disable', tenant, 'corp-saml'])).stdout).toMatch(/corp-saml .* no {2,}0$/m);
    expect((await airlock(['identity-providers', 'enable', tenant, 'corp-saml'])).stdout).toMatch(/corp-saml .* yes {2,}0$/m);

    const configFile = join(dir, 'config.json');
    await writeFile(configFile, JSON.stringify({ ...(saml.config as object), clockSkewSeconds: 30 }));
    const updated = await airlock(['identity-providers', 'update', tenant, 'corp-saml', '--config-file', configFile, '--name', 'Corp SAML', '--json']);
    expect(updated.code, updated.stderr).toBe(0);
    expect(JSON.parse(updated.stdout)).toMatchObject({ displayName: 'Corp SAML', config: { clockSkewSeconds: 30 } });
    const rotate = await airlock(['identity-providers', 'update', tenant, 'corp-saml', '--rotate-secret'], { AIRLOCK_IDP_CLIENT_SECRET: CLIENT_SECRET });
    expectOneErrorLine(rotate, 'invalid_request', 1);
    expect(rotate.stderr).toContain('no client secret');
  }, 120_000);

  it('maps groups to scopes by provider slug, lists, updates and removes them; switches local passwords', async () => {
    const added = await airlock(['group-mappings', 'add', tenant, 'mcp-finance', '--scope', 'finance:read', '--provider', 'corp', '--json']);
    expect(added.code, added.stderr).toBe(0);
    const mapping = JSON.parse(added.stdout) as { id: string; provider: string };
    expect(mapping.provider).toBe('corp');
    expect((await airlock(['group-mappings', 'add', tenant, 'staff', '--scope', 'mcp'])).code).toBe(0);
    expectOneErrorLine(await airlock(['group-mappings', 'add', tenant, 'staff', '--scope', 'mcp']), 'conflict', 1);
    expectOneErrorLine(await airlock(['group-mappings', 'add', tenant, 'nothing']), 'usage', 2);
    expectOneErrorLine(await airlock(['group-mappings', 'add', tenant, 'x', '--scope', 'mcp', '--provider', 'nope']), 'not_found', 1);

    const table = await airlock(['group-mappings', 'list', tenant, '--provider', 'corp']);
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^ID {2,}GROUP {2,}PROVIDER {2,}SCOPES\n/);
    expect(table.stdout).toMatch(/ mcp-finance {2,}corp {2,}finance:read$/m);
    expect(table.stdout).toMatch(/ staff {2,}any {2,}mcp$/m);

    const updated = await airlock(['group-mappings', 'update', tenant, mapping.id, '--scope', 'finance:read', '--scope', 'finance:write']);
    expect(updated.stdout).toMatch(/finance:read finance:write$/m);
    expect((await airlock(['group-mappings', 'remove', tenant, mapping.id])).code).toBe(0);
    expect((await airlock(['group-mappings', 'list', tenant, '--json'])).stdout).not.toContain(mapping.id);

    const off = await airlock(['tenants', 'local-passwords', tenant, 'off']);
    expect(off.code, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/^local passwords:\s+off$/m);
    expectOneErrorLine(await airlock(['tenants', 'local-passwords', tenant, 'maybe']), 'usage', 2);
    expect((await airlock(['tenants', 'local-passwords', tenant, 'on'])).stdout).toMatch(/^local passwords:\s+on$/m);

    expect((await airlock(['identity-providers', 'remove', tenant, 'corp'])).stdout).toMatch(/^removed identity provider:\s+corp$/m);
    expectOneErrorLine(await airlock(['identity-providers', 'get', tenant, 'corp']), 'not_found', 1);
  }, 120_000);

  it('never printed a stack trace or the client secret', () => {
    for (const stderr of stderrs) {
      expect(stderr).not.toMatch(/\n\s+at /);
      expect(stderr).not.toContain(CLIENT_SECRET);
    }
  });
});
