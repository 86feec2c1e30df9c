import { describe, expect, it } from 'vitest';
import { CompiledCallPolicy, InvalidPolicyError, checkCallPolicy, refusalMessage } from './call-policy.js';
import type { PolicyDecision, PolicyRequest } from './call-policy.js';
import { DEFAULT_REDACTED_KEYS, redactArguments } from './argument-redaction.js';

const alice: PolicyRequest = { subject: 'alice', groups: ['eng'], scopes: ['mcp'], clientId: 'cli', server: 'github', tool: 'search', arguments: { q: 'x' } };

const POLICY = `
@id("eng-reads-github")
permit (principal in Group::"eng", action == Action::"call_tool", resource in Server::"github")
when { resource.name like "search*" || resource.name == "get_issue" };

@id("deny-prod-writes")
forbid (principal, action == Action::"call_tool", resource == Tool::"db/write")
when { context.arguments.hasTag("env") && context.arguments.getTag("env") == "prod" };

@id("small-queries")
permit (principal, action, resource == Tool::"db/write") when { context.numbers.hasTag("limit") && context.numbers.getTag("limit") <= 100 };

@id("no-ci-client")
forbid (principal, action, resource) when { context.client == Client::"ci-bot" };
`;

function diagnosticsOf(text: string) {
  try {
    checkCallPolicy(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPolicyError);
    return (error as InvalidPolicyError).diagnostics;
  }
  throw new Error('the policy was accepted');
}

describe('CompiledCallPolicy', () => {
  const deny = CompiledCallPolicy.compile(POLICY, 'deny', 3);
  const allow = CompiledCallPolicy.compile(POLICY, 'allow', 3);

  it('names its rules by @id, in order', () => {
    expect(deny.rules).toEqual(['eng-reads-github', 'deny-prod-writes', 'small-queries', 'no-ci-client']);
    expect(deny.version).toBe(3);
  });

  it('allows a call a rule permits and names the rule', () => {
    expect(deny.evaluate(alice)).toEqual({ allowed: true, rule: 'eng-reads-github' });
    expect(deny.evaluate({ ...alice, tool: 'get_issue' })).toEqual({ allowed: true, rule: 'eng-reads-github' });
  });

  it('default deny: a call no rule permits is refused without naming a rule', () => {
    const decision = deny.evaluate({ ...alice, tool: 'delete_repo' });
    expect(decision).toEqual({ allowed: false, rule: undefined, reason: 'default_deny' });
    expect(refusalMessage(decision as Extract<PolicyDecision, { allowed: false }>, 'deny')).toBe('no rule allowed this call (tenant default: deny)');
    // Not in the group: the same tool is not permitted.
    expect(deny.evaluate({ ...alice, groups: ['sales'] }).allowed).toBe(false);
  });

  it('default allow: a call no rule matched goes through; a forbid still refuses', () => {
    expect(allow.evaluate({ ...alice, tool: 'delete_repo' })).toEqual({ allowed: true, rule: undefined });
    expect(allow.evaluate({ ...alice, clientId: 'ci-bot' })).toEqual({ allowed: false, rule: 'no-ci-client', reason: 'forbidden' });
  });

  it('forbid wins over permit, and the refusal names the forbidding rule only', () => {
    const decision = deny.evaluate({ ...alice, clientId: 'ci-bot' });
    expect(decision).toEqual({ allowed: false, rule: 'no-ci-client', reason: 'forbidden' });
    const message = refusalMessage(decision as Extract<PolicyDecision, { allowed: false }>, 'deny');
    expect(message).toBe('refused by policy rule "no-ci-client"');
    expect(message).not.toContain('Client::');
  });

  it('reads string and integer arguments', () => {
    const write = { ...alice, server: 'db', tool: 'write' };
    expect(deny.evaluate({ ...write, arguments: { env: 'prod', limit: 5 } })).toEqual({ allowed: false, rule: 'deny-prod-writes', reason: 'forbidden' });
    expect(deny.evaluate({ ...write, arguments: { env: 'dev', limit: 5 } })).toEqual({ allowed: true, rule: 'small-queries' });
    expect(deny.evaluate({ ...write, arguments: { env: 'dev', limit: 500 } }).allowed).toBe(false);
    // A non-integer `limit` is no Long tag: the permit does not apply.
    expect(deny.evaluate({ ...write, arguments: { env: 'dev', limit: '5' } }).allowed).toBe(false);
    expect(deny.evaluate({ ...write, arguments: undefined }).allowed).toBe(false);
  });

  it('gives the same answers from its memo as from Cedar', () => {
    const policy = CompiledCallPolicy.compile(POLICY, 'deny');
    const write = { ...alice, server: 'db', tool: 'write' };
    for (let round = 0; round < 3; round += 1) {
      expect(policy.evaluate({ ...write, arguments: { env: 'prod', limit: 5 } }).allowed).toBe(false);
      expect(policy.evaluate({ ...write, arguments: { env: 'dev', limit: 5 } }).allowed).toBe(true);
      expect(policy.evaluate({ ...alice, groups: [] }).allowed).toBe(false);
      expect(policy.evaluate(alice).allowed).toBe(true);
    }
  });

  it('sends into Cedar only what the rules read, and still decides on it', () => {
    expect(checkCallPolicy(POLICY).reads).toEqual({ scopes: false, toolAttributes: true, client: true, arguments: true, numbers: true });
    const scoped = `@id("writers") permit (principal, action, resource) when { principal.scopes.contains("tools:write") };
@id("no-stop") forbid (principal, action, resource) when { context.arguments.hasTag("text") && context.arguments.getTag("text") == "stop" };`;
    expect(checkCallPolicy(scoped).reads).toEqual({ scopes: true, toolAttributes: false, client: false, arguments: true, numbers: false });
    const policy = CompiledCallPolicy.compile(scoped, 'deny');
    expect(policy.evaluate({ ...alice, scopes: ['mcp', 'tools:write'], arguments: { text: 'go' } })).toEqual({ allowed: true, rule: 'writers' });
    expect(policy.evaluate({ ...alice, scopes: ['mcp'], arguments: { text: 'go' } })).toEqual({ allowed: false, rule: undefined, reason: 'default_deny' });
    expect(policy.evaluate({ ...alice, scopes: ['mcp', 'tools:write'], arguments: { text: 'stop' } })).toEqual({ allowed: false, rule: 'no-stop', reason: 'forbidden' });
    // `context` read as a whole (not through one of its attributes): the whole context goes.
    expect(checkCallPolicy(`permit (principal, action, resource) when { context has client && context.client == Client::"ide" };`).reads).toMatchObject({ client: true, arguments: false, numbers: false });
    expect(checkCallPolicy(`permit (principal, action, resource in Server::"a");`).reads).toEqual({ scopes: false, toolAttributes: false, client: false, arguments: false, numbers: false });
  });

  it('rules without @id are named by position', () => {
    const policy = CompiledCallPolicy.compile('permit (principal, action, resource == Tool::"a/b");\nforbid (principal, action, resource == Tool::"a/c");', 'allow');
    expect(policy.rules).toEqual(['rule #1', 'rule #2']);
    expect(policy.evaluate({ ...alice, server: 'a', tool: 'c' })).toEqual({ allowed: false, rule: 'rule #2', reason: 'forbidden' });
  });

  it('an empty policy is the tenant default alone', () => {
    expect(CompiledCallPolicy.compile('', 'deny').evaluate(alice).allowed).toBe(false);
    expect(CompiledCallPolicy.compile('', 'allow').evaluate(alice).allowed).toBe(true);
  });

  it('two compiled versions live side by side', () => {
    const old = CompiledCallPolicy.compile('@id("a") permit (principal, action, resource);', 'deny', 1);
    const next = CompiledCallPolicy.compile('@id("b") forbid (principal, action, resource);', 'deny', 2);
    expect(old.evaluate(alice)).toEqual({ allowed: true, rule: 'a' });
    expect(next.evaluate(alice)).toEqual({ allowed: false, rule: 'b', reason: 'forbidden' });
  });
});

describe('checkCallPolicy diagnostics', () => {
  it('a syntax error says where', () => {
    const [first] = diagnosticsOf('@id("x")\npermit (principal, action, resource) when { principal.scopes.contains("a") ');
    expect(first?.message).toMatch(/unexpected end of input|expected/i);
    expect(first?.line).toBe(2);
  });

  it('an unknown attribute is a validation error naming the rule, with Cedar help', () => {
    const diagnostics = diagnosticsOf('@id("ok") permit (principal, action, resource);\n@id("typo") permit (principal, action, resource) when { principal.scope.contains("a") };');
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ rule: 'typo', line: 2 });
    expect(diagnostics[0]?.message).toContain('scope');
    expect(diagnostics[0]?.help).toContain('scopes');
  });

  it('an unknown entity type or action is refused', () => {
    expect(diagnosticsOf('permit (principal == Admin::"x", action, resource);')[0]?.message).toMatch(/Admin/);
    expect(diagnosticsOf('permit (principal, action == Action::"delete", resource);')[0]?.message).toMatch(/delete/);
  });

  it('a type error (string compared with a number) is refused', () => {
    expect(diagnosticsOf('permit (principal, action, resource) when { context.numbers.hasTag("n") && context.numbers.getTag("n") > "3" };').length).toBeGreaterThan(0);
  });

  it('duplicate ids and templates are refused', () => {
    expect(diagnosticsOf('@id("a") permit (principal, action, resource);\n@id("a") forbid (principal, action, resource);')[0]).toMatchObject({ rule: 'a', message: 'two rules have the id "a"' });
    expect(diagnosticsOf('permit (principal == ?principal, action, resource);')[0]?.message).toMatch(/templates/);
  });
});

describe('redactArguments', () => {
  it('redacts by the built-in patterns when a tenant names none', () => {
    const args = { query: 'q', keyword: 'kept', password: 'p', db_passwd: 'p', apiKey: 'k', private_key: 'k', sshKeys: ['k'], Authorization: 'Bearer x', refresh_token: 't', clientSecret: 's', aws_credentials: {}, cookie: 'c' };
    expect(redactArguments(args, DEFAULT_REDACTED_KEYS)).toEqual({
      query: 'q',
      keyword: 'kept',
      password: '[redacted]',
      db_passwd: '[redacted]',
      apiKey: '[redacted]',
      private_key: '[redacted]',
      sshKeys: '[redacted]',
      Authorization: '[redacted]',
      refresh_token: '[redacted]',
      clientSecret: '[redacted]',
      aws_credentials: '[redacted]',
      cookie: '[redacted]',
    });
  });

  it('replaces values under matching keys at any depth, case-insensitively', () => {
    const out = redactArguments({ query: 'x', apiToken: 't', nested: { Password: 'p', list: [{ secret_value: 's', keep: 1 }] } }, ['*token*', 'password', '*secret*']);
    expect(out).toEqual({ query: 'x', apiToken: '[redacted]', nested: { Password: '[redacted]', list: [{ secret_value: '[redacted]', keep: 1 }] } });
  });

  it('cuts long arguments', () => {
    const out = redactArguments({ blob: 'a'.repeat(20_000) }, []) as { truncated: boolean; prefix: string };
    expect(out.truncated).toBe(true);
    expect(out.prefix.length).toBe(8_192);
  });
});
