import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInAndApprove } from '@airlock/testing';
import { BOOTSTRAP_ADMIN } from './support/admin-and-tokens.js';
import { runAirlock, startAirlock, startCliAuthServer, totpCode, type CliAuthServer, type CliRun } from './support/admin-cli-harness.js';

// A person signs in to the admin CLI (`airlock admin login`: code + PKCE as `airlock-cli` of the admin
// tenant, the test playing the browser), later commands use and refresh the stored sign-in, logout revokes
// it; and the role tasks (admins, roles, admin-clients) as a platform admin runs them.

const suffix = randomBytes(3).toString('hex');
const A = `la-${suffix}`;
const B = `lb-${suffix}`;

let server: CliAuthServer;
const configHomes: string[] = [];
const runs: CliRun[] = [];
/** Every token a credentials file held: none may ever show in the CLI's output. */
const tokensSeen = new Set<string>();

type StoredEntry = { accessToken: string; accessTokenExpiresAt: number; refreshToken?: string; tokenEndpoint: string };

/** As the bootstrap (break-glass) client: client credentials from the environment. */
async function asBootstrap(args: string[]): Promise<CliRun> {
  const run = await runAirlock(args, { AIRLOCK_AUTH_URL: server.authUrl, AIRLOCK_ADMIN_CLIENT_ID: BOOTSTRAP_ADMIN.id, AIRLOCK_ADMIN_CLIENT_SECRET: BOOTSTRAP_ADMIN.secret });
  runs.push(run);
  return run;
}

interface Person {
  email: string;
  password: string;
  id: string;
  otpauthUri: string;
  /** Its own $XDG_CONFIG_HOME: its own credentials file. */
  env: Record<string, string>;
  file: string;
}

/** A person made with the CLI: admins create, admins totp, roles grant. */
async function createPerson(name: string, role: string[]): Promise<Person> {
  const email = `${name}-${suffix}@example.com`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const created = await asBootstrap(['admins', 'create', '--email', email, '--password', password]);
  expect(created.code, created.stderr).toBe(0);
  const id = created.stdout.trim();
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const totp = await asBootstrap(['admins', 'totp', id]);
  expect(totp.code, totp.stderr).toBe(0);
  const otpauthUri = totp.stdout.trim();
  expect(otpauthUri).toMatch(/^otpauth:\/\/totp\//);
  const granted = await asBootstrap(['roles', 'grant', '--user', id, ...role]);
  expect(granted.code, granted.stderr).toBe(0);
  const home = mkdtempSync(join(tmpdir(), 'airlock-cli-login-'));
  configHomes.push(home);
  return { email, password, id, otpauthUri, env: { AIRLOCK_AUTH_URL: server.authUrl, XDG_CONFIG_HOME: home }, file: join(home, 'airlock', 'credentials.json') };
}

async function asPerson(person: Person, args: string[]): Promise<CliRun> {
  const run = await runAirlock(args, person.env);
  runs.push(run);
  return run;
}

/** `airlock admin login`, the test as the browser: open the printed URL, sign in with the one-time code, approve. */
async function login(person: Person, totpStepOffset = 0): Promise<CliRun> {
  const cli = startAirlock(['login', '--url', server.authUrl], person.env);
  const printed = new URL((await cli.stderrLine(/^airlock: http:\/\/\S+\?\S*client_id=/)).replace(/^airlock: /, ''));
  expect(printed.searchParams.get('client_id')).toBe('airlock-cli');
  expect(printed.searchParams.get('code_challenge_method')).toBe('S256');
  expect(printed.searchParams.get('resource')).toBe(`${server.authUrl}/admin/v1`);
  // The admin tenant's login form takes the one-time code beside email and password (the helper posts every field given).
  const credentials = { email: person.email, password: person.password, totp: totpCode(person.otpauthUri, totpStepOffset) };
  const callback = await signInAndApprove(printed, credentials);
  expect(callback.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(callback.pathname).toBe('/callback');
  const delivered = await fetch(callback);
  expect(delivered.status).toBe(200);
  const run = await cli.done;
  runs.push(run);
  return run;
}

function stored(person: Person): StoredEntry {
  const entry = (JSON.parse(readFileSync(person.file, 'utf8')) as Record<string, StoredEntry>)[server.authUrl]!;
  for (const token of [entry.accessToken, entry.refreshToken]) if (token) tokensSeen.add(token);
  return entry;
}

beforeAll(async () => {
  server = await startCliAuthServer();
  for (const slug of [A, B]) expect((await asBootstrap(['tenants', 'create', slug])).code).toBe(0);
});

afterAll(async () => {
  await server?.close();
  for (const home of configHomes) rmSync(home, { recursive: true, force: true });
});

describe('airlock admin login', () => {
  let platform: Person;

  beforeAll(async () => {
    platform = await createPerson('platform', ['--role', 'platform-admin']);
  });

  it('signs a person in through the browser; tenants list then works with the stored sign-in, kept 0600', async () => {
    const signedIn = await login(platform);
    expect(signedIn.code, signedIn.stderr).toBe(0);
    expect(signedIn.stdout).toMatch(/^signed in to:\s+http:\/\/127\.0\.0\.1:\d+$/m);
    expect(statSync(platform.file).mode & 0o777).toBe(0o600);
    expect(statSync(join(platform.file, '..')).mode & 0o777).toBe(0o700);
    const entry = stored(platform);
    expect(entry.refreshToken).toEqual(expect.any(String));
    expect(entry.accessTokenExpiresAt).toBeGreaterThan(Date.now());

    const tenants = await asPerson(platform, ['tenants', 'list', '--json', '--limit', '200']);
    expect(tenants.code, tenants.stderr).toBe(0);
    const slugs = (JSON.parse(tenants.stdout) as { items: Array<{ slug: string }> }).items.map((tenant) => tenant.slug);
    expect(slugs).toEqual(expect.arrayContaining([A, B]));
  });

  it('refreshes an expired access token and stores the rotated refresh token; the old one is dead', async () => {
    const before = stored(platform);
    writeFileSync(platform.file, JSON.stringify({ [server.authUrl]: { ...before, accessTokenExpiresAt: Date.now() - 1000 } }), { mode: 0o600 });
    // Three runs at once: one refreshes, the others wait for it and use its token (a rotated refresh token
    // presented twice would end the sign-in).
    const [listed, ...others] = await Promise.all([asPerson(platform, ['roles', 'list']), asPerson(platform, ['tenants', 'list']), asPerson(platform, ['tenants', 'list'])]);
    expect(listed!.code, listed!.stderr).toBe(0);
    for (const other of others) expect(other.code, other.stderr).toBe(0);
    expect(listed!.stdout).toMatch(/^TYPE {2,}PRINCIPAL {2,}WHO {2,}ROLE {2,}TENANTS {2,}UPDATED\n/);
    expect(listed!.stdout).toContain(platform.id);
    const after = stored(platform);
    expect(after.accessToken).not.toBe(before.accessToken);
    expect(after.accessTokenExpiresAt).toBeGreaterThan(Date.now());
    expect(after.refreshToken).toEqual(expect.any(String));
    expect(after.refreshToken).not.toBe(before.refreshToken);
    expect(statSync(platform.file).mode & 0o777).toBe(0o600);
    const reused = await fetch(after.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: before.refreshToken!, client_id: 'airlock-cli' }),
    });
    expect(reused.status).toBe(400);
    expect(((await reused.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('logout revokes the sign-in at the auth server (the refresh token no longer works) and forgets it', async () => {
    // Reuse detection above ended that grant: the stored refresh token is refused too, with a precise word.
    writeFileSync(platform.file, JSON.stringify({ [server.authUrl]: { ...stored(platform), accessTokenExpiresAt: Date.now() - 1000 } }), { mode: 0o600 });
    const dead = await asPerson(platform, ['tenants', 'list']);
    expect(dead.code).toBe(1);
    expect(dead.stderr).toMatch(/^airlock: login_required: the sign-in can no longer be refreshed \(.+\): run airlock admin login --url http:\/\/127\.0\.0\.1:\d+\n$/);
    // Sign in again (the next TOTP step: a code is good once).
    const again = await login(platform, 1);
    expect(again.code, again.stderr).toBe(0);
    const entry = stored(platform);
    const out = await asPerson(platform, ['logout']);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/^signed out of:/m);
    expect(JSON.parse(readFileSync(platform.file, 'utf8'))).toEqual({});
    const refreshed = await fetch(entry.tokenEndpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: entry.refreshToken!, client_id: 'airlock-cli' }),
    });
    expect(refreshed.status).toBe(400);
    const api = await fetch(`${server.authUrl}/admin/v1/tenants`, { headers: { authorization: `Bearer ${entry.accessToken}` } });
    expect(api.status).toBe(401);
    const twice = await asPerson(platform, ['logout']);
    expect(twice.code).toBe(0);
    expect(twice.stderr).toMatch(/^airlock: not signed in to .*; nothing to do\n$/);
    const signedOut = await asPerson(platform, ['tenants', 'list']);
    expect(signedOut.code).toBe(2);
    expect(signedOut.stderr).toMatch(/^airlock: usage: not signed in to http:\/\/127\.0\.0\.1:\d+: run airlock admin login/);
  });

  it('signs in a tenant admin, who sees only its tenant; client credentials from the environment take precedence', async () => {
    const tenantAdmin = await createPerson('tadmin', ['--role', 'tenant-admin', '--tenants', A]);
    expect((await login(tenantAdmin)).code).toBe(0);
    const tenants = await asPerson(tenantAdmin, ['tenants', 'list', '--json']);
    expect(tenants.code, tenants.stderr).toBe(0);
    expect((JSON.parse(tenants.stdout) as { items: Array<{ slug: string }> }).items.map((tenant) => tenant.slug)).toEqual([A]);
    const other = await asPerson(tenantAdmin, ['servers', 'list', B]);
    expect(other.code).toBe(1);
    expect(other.stderr).toBe('airlock: not_found: no such tenant\n');
    const asAutomation = await runAirlock(['tenants', 'list', '--json', '--limit', '200'], { ...tenantAdmin.env, AIRLOCK_ADMIN_CLIENT_ID: BOOTSTRAP_ADMIN.id, AIRLOCK_ADMIN_CLIENT_SECRET: BOOTSTRAP_ADMIN.secret });
    runs.push(asAutomation);
    expect((JSON.parse(asAutomation.stdout) as { items: Array<{ slug: string }> }).items.map((tenant) => tenant.slug)).toEqual(expect.arrayContaining([A, B]));
  });

  it('refuses a redirect with another state: nothing is stored, one line, exit 1', async () => {
    const person = await createPerson('state', ['--role', 'auditor', '--tenants', 'all']);
    const cli = startAirlock(['login'], person.env);
    const printed = new URL((await cli.stderrLine(/^airlock: http:\/\/\S+\?\S*client_id=/)).replace(/^airlock: /, ''));
    const forged = new URL(printed.searchParams.get('redirect_uri')!);
    forged.search = new URLSearchParams({ code: 'forged-code', state: 'not-the-state', iss: `${server.authUrl}/t/admin` }).toString();
    expect((await fetch(forged)).status).toBe(400);
    const run = await cli.done;
    runs.push(run);
    expect(run.code).toBe(1);
    expect(run.stderr.split('\n').filter(Boolean).at(-1)).toMatch(/^airlock: invalid_state: /);
    expect(() => statSync(person.file)).toThrow();
  });
});

describe('role tasks', () => {
  it('creates an automation client (id and secret printed once), grants it a role, and it works from the environment; revoke ends it', async () => {
    const created = await asBootstrap(['admin-clients', 'create', '--name', 'Nightly export']);
    expect(created.code, created.stderr).toBe(0);
    const id = /^client id:\s+(\S+)$/m.exec(created.stdout)?.[1];
    const secret = /^client secret:\s+(\S+)$/m.exec(created.stdout)?.[1];
    expect(id && secret).toBeTruthy();
    expect(created.stderr).toMatch(/^airlock: warning: .*secret/);
    const granted = await asBootstrap(['roles', 'grant', '--client', id!, '--role', 'tenant-admin', '--tenants', `${A},${B}`, '--json']);
    expect(granted.code, granted.stderr).toBe(0);
    expect(JSON.parse(granted.stdout)).toMatchObject({ principalType: 'clients', principalId: id, role: 'tenant-admin', tenants: [A, B] });
    const automation = { AIRLOCK_AUTH_URL: server.authUrl, AIRLOCK_ADMIN_CLIENT_ID: id!, AIRLOCK_ADMIN_CLIENT_SECRET: secret! };
    const listed = await runAirlock(['tenants', 'list', '--json'], automation);
    expect((JSON.parse(listed.stdout) as { items: Array<{ slug: string }> }).items.map((tenant) => tenant.slug).sort()).toEqual([A, B].sort());
    expect((await asBootstrap(['roles', 'revoke', '--client', id!])).code).toBe(0);
    const refused = await runAirlock(['tenants', 'list'], automation);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^airlock: access_denied: /);
  });

  it('disables an admin person; refuses a bad grant before sending it; help lists the sign-in and role commands', async () => {
    const person = await createPerson('gone', ['--role', 'auditor', '--tenants', A]);
    const disabled = await asBootstrap(['admins', 'disable', person.id, '--json']);
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(JSON.parse(disabled.stdout)).toMatchObject({ id: person.id, disabled: true });
    // The role list names who holds each role, and pages; the people list searches.
    const found = await asBootstrap(['roles', 'list', '--q', person.email]);
    expect(found.code, found.stderr).toBe(0);
    expect(found.stdout).toMatch(new RegExp(`^user +${person.id} +${person.email.replace(/[.]/g, '\\.')} \\(disabled\\) +auditor +${A} `, 'm'));
    const first = await asBootstrap(['roles', 'list', '--limit', '1']);
    expect(first.stdout.trim().split('\n')).toHaveLength(2);
    const cursor = /--cursor (\S+)/.exec(first.stderr)?.[1];
    expect(cursor, first.stderr).toBeTruthy();
    const second = await asBootstrap(['roles', 'list', '--limit', '1', '--cursor', cursor!, '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect((JSON.parse(second.stdout) as { items: unknown[] }).items).toHaveLength(1);
    expect(second.stdout).not.toBe(first.stdout);
    const people = await asBootstrap(['admins', 'list', '--q', person.email, '--json']);
    expect((JSON.parse(people.stdout) as { items: Array<{ id: string }> }).items.map((user) => user.id)).toEqual([person.id]);
    const both = await asBootstrap(['roles', 'grant', '--user', person.id, '--client', 'x', '--role', 'auditor']);
    expect(both.code).toBe(2);
    const noTenants = await asBootstrap(['roles', 'grant', '--user', person.id, '--role', 'tenant-admin']);
    expect(noTenants.code).toBe(2);
    expect(noTenants.stderr).toMatch(/^airlock: invalid_request: putRoleAssignment: tenants: /);
    const help = await runAirlock(['--help'], {});
    expect(help.code).toBe(0);
    for (const line of [/^ {2}login +sign in as a person/m, /^ {2}logout /m, /^ {2}admins create /m, /^ {2}roles grant /m, /^ {2}admin-clients create /m, /credentials\.json/]) expect(help.stdout).toMatch(line);
  });

  it('never printed a token, a secret or a stack trace', () => {
    expect(runs.length).toBeGreaterThan(15);
    expect(tokensSeen.size).toBeGreaterThanOrEqual(6);
    for (const run of runs) {
      const output = run.stdout + run.stderr;
      expect(output).not.toMatch(/^\s+at |node:internal/m);
      expect(output).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
      for (const token of tokensSeen) expect(output).not.toContain(token);
      expect(output).not.toContain(BOOTSTRAP_ADMIN.secret);
    }
  });
});
