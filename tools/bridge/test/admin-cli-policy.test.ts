import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POLICY_CHANGED_CHANNEL } from '@airlock/contracts';
import { BOOTSTRAP_ADMIN as ADMIN } from './support/admin-and-tokens.js';
import { runAirlock, startCliAuthServer, type CliAuthServer, type CliRun as Run } from './support/admin-cli-harness.js';

// `airlock admin policy get|put|evaluate` and `airlock admin tools pinning` (issue 17): the committed bin as
// a child process, signed in as the bootstrap admin client, against a real auth server. Each run is a new
// process (a second or more on a loaded machine): the tests get room for a dozen runs each.

let server: CliAuthServer;
let dir: string;
const stderrs: string[] = [];

async function airlock(args: string[]): Promise<Run> {
  const run = await runAirlock(args, { AIRLOCK_AUTH_URL: server.authUrl, AIRLOCK_ADMIN_CLIENT_ID: ADMIN.id, AIRLOCK_ADMIN_CLIENT_SECRET: ADMIN.secret });
  stderrs.push(run.stderr);
  return run;
}

function expectOneErrorLine(run: Run, error: string): void {
  expect(run.stderr.split('\n').filter(Boolean), run.stderr).toHaveLength(1);
  expect(run.stderr).toMatch(new RegExp(`^airlock: ${error}: \\S.*\\n$`));
}

const ENG_MAY_SEARCH = `@id("eng-may-search")
permit (principal in Group::"eng", action == Action::"call_tool", resource == Tool::"docs/search");
`;

beforeAll(async () => {
  server = await startCliAuthServer();
  dir = mkdtempSync(join(tmpdir(), 'airlock-cli-policy-'));
});

afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('airlock admin policy', () => {
  const tenant = `pol-${randomBytes(4).toString('hex')}`;

  it('puts a policy from a file (announced to gateways), gets it back to a file, and dry-runs calls against it and against a draft', { timeout: 180_000 }, async () => {
    expect((await airlock(['tenants', 'create', tenant])).code).toBe(0);
    const empty = await airlock(['policy', 'get', tenant]);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stdout).toMatch(/^version:\s+0$/m);
    expect(empty.stdout).toMatch(/^default:\s+allow$/m);
    expect(empty.stdout).toContain('(no rules)');

    const announced: string[] = [];
    const unsubscribe = await server.hot.subscribe(POLICY_CHANGED_CHANNEL, (slug) => void announced.push(slug));
    const file = join(dir, 'policy.cedar');
    writeFileSync(file, ENG_MAY_SEARCH);
    const put = await airlock(['policy', 'put', tenant, '--file', file, '--default', 'deny', '--record-arguments', 'on', '--redact', '*secret*', '--redact', 'pin']);
    expect(put.code, put.stderr).toBe(0);
    expect(put.stdout).toMatch(/^version:\s+1$/m);
    expect(put.stdout).toMatch(/^default:\s+deny$/m);
    expect(put.stdout).toMatch(/^rules:\s+eng-may-search$/m);
    expect(put.stdout).toMatch(/^record arguments:\s+on$/m);
    expect(put.stdout).toMatch(/^redacted keys:\s+\*secret\*, pin$/m);
    await expect.poll(() => announced).toContain(tenant);
    await unsubscribe();

    // Round trip: --out writes exactly the saved text; --json is the API's answer.
    const out = join(dir, 'saved.cedar');
    const got = await airlock(['policy', 'get', tenant, '--out', out]);
    expect(got.code, got.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(ENG_MAY_SEARCH);
    expect(got.stdout).not.toContain('permit');
    const json = JSON.parse((await airlock(['policy', 'get', tenant, '--json'])).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ tenant, version: 1, defaultEffect: 'deny', rules: ['eng-may-search'], recordArguments: true, redactedKeys: ['*secret*', 'pin'], cedar: ENG_MAY_SEARCH });

    // Without --default the current default stays; --built-in-redactions goes back to the built-in patterns.
    const kept = await airlock(['policy', 'put', tenant, '--file', out, '--built-in-redactions', '--json']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(JSON.parse(kept.stdout)).toMatchObject({ version: 2, defaultEffect: 'deny', recordArguments: true, redactedKeys: [] });

    const call = ['--subject', 'alice', '--client', 'ide', '--server', 'docs', '--tool', 'search'];
    const allowed = await airlock(['policy', 'evaluate', tenant, ...call, '--group', 'eng']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout).toBe('allowed: rule "eng-may-search" (version 2)\n');
    const refused = await airlock(['policy', 'evaluate', tenant, ...call, '--group', 'sales']);
    expect(refused.code, refused.stderr).toBe(0);
    expect(refused.stdout).toBe('refused: no rule allowed this call (tenant default: deny) (version 2)\n');
    const draft = join(dir, 'draft.cedar');
    writeFileSync(draft, `${ENG_MAY_SEARCH}@id("no-secrets") forbid (principal, action, resource) when { context.arguments.hasTag("q") && context.arguments.getTag("q") like "*secret*" };\n`);
    const drafted = await airlock(['policy', 'evaluate', tenant, ...call, '--group', 'eng', '--arguments', '{"q":"top secret"}', '--file', draft, '--json']);
    expect(drafted.code, drafted.stderr).toBe(0);
    expect(JSON.parse(drafted.stdout)).toEqual({ allowed: false, rule: 'no-secrets', message: 'refused by policy rule "no-secrets"', version: null });
    // The draft was not saved.
    expect(JSON.parse((await airlock(['policy', 'get', tenant, '--json'])).stdout)).toMatchObject({ version: 2, rules: ['eng-may-search'] });
  });

  it("refuses an invalid policy with Cedar's findings on one line (nothing saved), a stale --expected-version with 409, and usage errors with exit 2", { timeout: 180_000 }, async () => {
    const bad = join(dir, 'bad.cedar');
    writeFileSync(bad, `@id("typo")\npermit (principal in Group::"eng", action == Action::"call_tool", resource) when { resource.nmae == "search" };\n`);
    const invalid = await airlock(['policy', 'put', tenant, '--file', bad]);
    expect(invalid.code).toBe(1);
    expectOneErrorLine(invalid, 'invalid_request');
    expect(invalid.stderr).toMatch(/rule "typo": .*nmae/);
    expect(invalid.stderr).toMatch(/ 2:\d+ /);
    const stale = await airlock(['policy', 'put', tenant, '--file', join(dir, 'saved.cedar'), '--expected-version', '1']);
    expect(stale.code).toBe(1);
    expectOneErrorLine(stale, 'conflict');
    expect(JSON.parse((await airlock(['policy', 'get', tenant, '--json'])).stdout)).toMatchObject({ version: 2 });

    for (const [args, message] of [
      [['policy', 'put', tenant], /--file/],
      [['policy', 'put', tenant, '--file', join(dir, 'missing.cedar')], /cannot read/],
      [['policy', 'put', tenant, '--file', bad, '--record-arguments', 'maybe'], /on or off/],
      [['policy', 'evaluate', tenant, '--subject', 'a', '--client', 'c', '--server', 's', '--tool', 't', '--arguments', '[oops'], /JSON object/],
    ] as const) {
      const run = await airlock([...args]);
      expect(run.code, args.join(' ')).toBe(2);
      expectOneErrorLine(run, 'usage');
      expect(run.stderr).toMatch(message);
    }
    // A body the route schema refuses (no subject): exit 2 before anything is sent.
    const schema = await airlock(['policy', 'evaluate', tenant, '--client', 'c', '--server', 's', '--tool', 't']);
    expect(schema.code).toBe(2);
    expectOneErrorLine(schema, 'invalid_request');
  });

  it('shows and sets the pinning policy of tool definitions (withhold|flag, new tools)', { timeout: 120_000 }, async () => {
    const shown = await airlock(['tools', 'pinning', tenant]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/^changed tools:\s+withhold$/m);
    expect(shown.stdout).toMatch(/^new tools:\s+trusted on first use$/m);
    const flagged = await airlock(['tools', 'pinning', tenant, '--mode', 'flag']);
    expect(flagged.code, flagged.stderr).toBe(0);
    expect(flagged.stdout).toMatch(/^changed tools:\s+flag$/m);
    const held = await airlock(['tools', 'pinning', tenant, '--approve-new-tools', 'on', '--json']);
    expect(held.code, held.stderr).toBe(0);
    // Only what was given changed: the mode stays flag.
    expect(JSON.parse(held.stdout)).toEqual({ tenant, toolPinning: { mode: 'flag', approveNewTools: true } });
    const stored = await server.db.pg.query<{ tool_pinning: unknown }>("SELECT settings->'toolPinning' AS tool_pinning FROM tenants WHERE slug = $1", [tenant]);
    expect(stored.rows[0]?.tool_pinning).toEqual({ mode: 'flag', approveNewTools: true });
    const bad = await airlock(['tools', 'pinning', tenant, '--mode', 'ignore']);
    expect(bad.code).toBe(2);
    expectOneErrorLine(bad, 'invalid_request');
  });

  it('never printed a stack trace', () => {
    expect(stderrs.length).toBeGreaterThan(10);
    for (const stderr of stderrs) expect(stderr).not.toMatch(/^\s+at |Error:|node:internal/m);
  });
});
