import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config.js';
import { authServerConfigSchema, gatewayConfigSchema, platformConfigSchema, sessionStoreConfigSchema } from './schemas.js';
import { maskSecrets } from './mask.js';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults and derives public URLs from ports', () => {
    const config = loadConfig(gatewayConfigSchema, { GATEWAY_PORT: '4001' });
    expect(config.port).toBe(4001);
    expect(config.publicUrl).toBe('http://localhost:4001');
    expect(config.authPublicUrl).toBe('http://localhost:3000');
    expect(config.authInternalUrl).toBe('http://localhost:3000');
    expect(config.databaseUrl).toBeUndefined();
    expect(config.http).toEqual({ host: '127.0.0.1', tls: undefined, h2c: false });
  });

  it('parses the egress allow-lists once and lists Airlock\'s own services for the auth server and the gateway', () => {
    const env = {
      AIRLOCK_UPSTREAM_ALLOW_CIDRS: '10.0.0.0/8, 192.168.1.0/24',
      AIRLOCK_UPSTREAM_ALLOW_HOSTS: 'mcp.internal:8443,notes.corp',
      SESSION_STORE_URL: 'http://store.internal:7002',
      AUTH_INTERNAL_URL: 'http://auth.internal:3000',
      DATABASE_URL: 'postgresql://u@db.internal/airlock',
      REDIS_URL: 'redis://cache.internal:6380',
    };
    for (const schema of [gatewayConfigSchema, authServerConfigSchema]) {
      const { egress } = loadConfig(schema, env);
      expect(egress.allowCidrs).toEqual(['10.0.0.0/8', '192.168.1.0/24']);
      expect(egress.allowHosts).toEqual(['mcp.internal:8443', 'notes.corp']);
      expect(egress.ownServices).toEqual(
        expect.arrayContaining(['store.internal:7002', 'auth.internal:3000', 'localhost:3001', '127.0.0.1:3001', 'db.internal:5432', 'cache.internal:6380']),
      );
    }
    expect(loadConfig(gatewayConfigSchema, {}).egress).toMatchObject({ allowCidrs: [], allowHosts: [] });
    const error = errorOf(() => loadConfig(gatewayConfigSchema, { AIRLOCK_UPSTREAM_ALLOW_CIDRS: '10.0.0.0/33', AIRLOCK_UPSTREAM_ALLOW_HOSTS: 'http://x/' }));
    expect(error.issues.map((issue) => issue.key)).toEqual(['AIRLOCK_UPSTREAM_ALLOW_CIDRS', 'AIRLOCK_UPSTREAM_ALLOW_HOSTS']);
  });

  it('names every bad key at once and never echoes a value', () => {
    const error = errorOf(() =>
      loadConfig(platformConfigSchema, {
        GATEWAY_PORT: 'abc',
        AUTH_PORT: '70000',
        DATABASE_URL: 'not a url:hunter2',
        REDIS_URL: 'http://localhost:6379',
        TLS_CERT_FILE: '/tmp/cert.pem',
      }),
    );
    expect(error.issues.map((i) => i.key)).toEqual(['AUTH_PORT', 'DATABASE_URL', 'GATEWAY_PORT', 'REDIS_URL', 'TLS_KEY_FILE']);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).toContain('GATEWAY_PORT: must be a port number');
  });

  it('reaches the auth server on its internal URL when one is given, keeping the public one for issuers', () => {
    const config = loadConfig(gatewayConfigSchema, { AUTH_PUBLIC_URL: 'https://auth.example.com', AUTH_INTERNAL_URL: 'http://auth-server:3000' });
    expect(config.authPublicUrl).toBe('https://auth.example.com');
    expect(config.authInternalUrl).toBe('http://auth-server:3000');
  });

  it('drops default ports and trailing slashes from URLs, keeping other ports (docker-compose.yml builds them from a port setting)', () => {
    const config = loadConfig(gatewayConfigSchema, { AUTH_PUBLIC_URL: 'https://auth.localhost:443/', GATEWAY_PUBLIC_URL: 'https://mcp.localhost:18443', AUTH_INTERNAL_URL: 'http://auth-server:80' });
    expect(config.authPublicUrl).toBe('https://auth.localhost');
    expect(config.publicUrl).toBe('https://mcp.localhost:18443');
    expect(config.authInternalUrl).toBe('http://auth-server');
    expect(loadConfig(gatewayConfigSchema, { GATEWAY_PUBLIC_URL: 'https://mcp.example:4430/base' }).publicUrl).toBe('https://mcp.example:4430/base');
    expect(loadConfig(gatewayConfigSchema, { GATEWAY_PUBLIC_URL: 'http://mcp.example:443' }).publicUrl).toBe('http://mcp.example:443');
  });

  it('treats empty values as unset', () => {
    expect(loadConfig(gatewayConfigSchema, { GATEWAY_PORT: '', DATABASE_URL: '' }).port).toBe(3001);
  });

  it('reads the gateway rate limits, defaulting to 10,000 per tenant and 600 per session a minute', () => {
    expect(loadConfig(gatewayConfigSchema, {}).rateLimits).toEqual({ perTenantPerMinute: 10_000, perSessionPerMinute: 600 });
    expect(
      loadConfig(gatewayConfigSchema, { GATEWAY_RATE_LIMIT_PER_TENANT_PER_MINUTE: '50000', GATEWAY_RATE_LIMIT_PER_SESSION_PER_MINUTE: '1200' }).rateLimits,
    ).toEqual({ perTenantPerMinute: 50_000, perSessionPerMinute: 1_200 });
  });

  it('reads how long the gateway trusts an upstream tool list (GATEWAY_TOOL_LIST_TTL_MS, default 30 s)', () => {
    expect(loadConfig(gatewayConfigSchema, {}).toolListTtlMs).toBe(30_000);
    expect(loadConfig(gatewayConfigSchema, { GATEWAY_TOOL_LIST_TTL_MS: '5000' }).toolListTtlMs).toBe(5_000);
    expect(errorOf(() => loadConfig(gatewayConfigSchema, { GATEWAY_TOOL_LIST_TTL_MS: '0' })).issues.map((i) => i.key)).toEqual(['GATEWAY_TOOL_LIST_TTL_MS']);
  });

  it.each(['0', '-5', '1.5', 'lots', '1e6', '2000000000'])('refuses the rate limit %s, naming the key', (value) => {
    const error = errorOf(() =>
      loadConfig(gatewayConfigSchema, { GATEWAY_RATE_LIMIT_PER_TENANT_PER_MINUTE: value, GATEWAY_RATE_LIMIT_PER_SESSION_PER_MINUTE: value }),
    );
    expect(error.issues.map((i) => i.key)).toEqual(['GATEWAY_RATE_LIMIT_PER_SESSION_PER_MINUTE', 'GATEWAY_RATE_LIMIT_PER_TENANT_PER_MINUTE']);
    expect(error.message).not.toContain(value);
  });

  it('bounds the auth server provider cache by AUTH_MAX_TENANT_PROVIDERS (default 1,500), refusing nonsense', () => {
    expect(loadConfig(authServerConfigSchema, {}).maxTenantProviders).toBe(1_500);
    expect(loadConfig(authServerConfigSchema, { AUTH_MAX_TENANT_PROVIDERS: '5000' }).maxTenantProviders).toBe(5_000);
    for (const value of ['0', '-1', 'many', '2.5', '5000000']) {
      expect(errorOf(() => loadConfig(authServerConfigSchema, { AUTH_MAX_TENANT_PROVIDERS: value })).issues.map((i) => i.key)).toEqual(['AUTH_MAX_TENANT_PROVIDERS']);
    }
  });

  it('takes the operational knobs from config, defaulting to the values they had in code', () => {
    expect(loadConfig(authServerConfigSchema, {})).toMatchObject({
      tenantCacheMs: 30_000,
      resourceCacheMs: 10_000,
      artifactSweepEveryMs: 300_000,
      sessionStoreTimeoutMs: 5_000,
      registrationLimits: { perIp: { max: 20, windowMs: 600_000 }, perTenant: { max: 500, windowMs: 600_000 } },
    });
    expect(loadConfig(sessionStoreConfigSchema, {})).toMatchObject({ tenantCacheMs: 30_000, expirySweepEveryMs: 60_000, touchFlushMs: 1_000, lastSeenFlushMs: 30_000 });
    expect(loadConfig(authServerConfigSchema, { AUTH_TENANT_CACHE_SECONDS: '5', AUTH_REGISTRATION_LIMIT_PER_IP: '3' })).toMatchObject({ tenantCacheMs: 5_000, registrationLimits: { perIp: { max: 3 } } });
    expect(loadConfig(sessionStoreConfigSchema, { SESSION_STORE_EXPIRY_SWEEP_SECONDS: '10' }).expirySweepEveryMs).toBe(10_000);
    expect(errorOf(() => loadConfig(sessionStoreConfigSchema, { SESSION_STORE_TOUCH_FLUSH_MS: '0', SESSION_STORE_TENANT_CACHE_SECONDS: '99999' })).issues.map((i) => i.key).sort()).toEqual([
      'SESSION_STORE_TENANT_CACHE_SECONDS',
      'SESSION_STORE_TOUCH_FLUSH_MS',
    ]);
  });

  it('strips trailing slashes from public URLs', () => {
    expect(loadConfig(gatewayConfigSchema, { GATEWAY_PUBLIC_URL: 'https://mcp.example.com/' }).publicUrl).toBe('https://mcp.example.com');
  });
});

describe('session limits', () => {
  it('defaults to 24 h idle / 14 days for login sessions, 30 min / 24 h for MCP sessions, 30 min for the account page', () => {
    expect(loadConfig(sessionStoreConfigSchema, {}).sessions).toEqual({
      login: { idleSeconds: 86_400, maxSeconds: 14 * 86_400 },
      mcp: { idleSeconds: 1_800, maxSeconds: 86_400 },
    });
    expect(loadConfig(authServerConfigSchema, {}).sessions).toEqual({ login: { idleSeconds: 86_400, maxSeconds: 14 * 86_400 }, accountPageSeconds: 1_800 });
  });

  it('reads LOGIN_SESSION_*, MCP_SESSION_* and ACCOUNT_SESSION_MAX_SECONDS; the auth server and session store read the same login keys', () => {
    const env = { LOGIN_SESSION_IDLE_SECONDS: '3600', LOGIN_SESSION_MAX_SECONDS: '604800', MCP_SESSION_IDLE_SECONDS: '600', MCP_SESSION_MAX_SECONDS: '7200', ACCOUNT_SESSION_MAX_SECONDS: '900' };
    expect(loadConfig(sessionStoreConfigSchema, env).sessions).toEqual({ login: { idleSeconds: 3_600, maxSeconds: 604_800 }, mcp: { idleSeconds: 600, maxSeconds: 7_200 } });
    expect(loadConfig(authServerConfigSchema, env).sessions).toEqual({ login: { idleSeconds: 3_600, maxSeconds: 604_800 }, accountPageSeconds: 900 });
  });

  it.each(['0', '-60', '1.5', 'forever', '1e3'])('refuses %s, naming every key', (value) => {
    const keys = ['LOGIN_SESSION_IDLE_SECONDS', 'LOGIN_SESSION_MAX_SECONDS', 'MCP_SESSION_IDLE_SECONDS', 'MCP_SESSION_MAX_SECONDS'];
    const error = errorOf(() => loadConfig(sessionStoreConfigSchema, Object.fromEntries(keys.map((key) => [key, value]))));
    expect(error.issues.map((i) => i.key)).toEqual(keys);
    expect(errorOf(() => loadConfig(authServerConfigSchema, { ACCOUNT_SESSION_MAX_SECONDS: value })).issues.map((i) => i.key)).toEqual(['ACCOUNT_SESSION_MAX_SECONDS']);
  });

  it('refuses limits beyond what the session store API accepts (idle 1 day, lifetime 30 days) and an idle limit longer than the lifetime', () => {
    expect(errorOf(() => loadConfig(sessionStoreConfigSchema, { MCP_SESSION_IDLE_SECONDS: '86401' })).issues.map((i) => i.key)).toEqual(['MCP_SESSION_IDLE_SECONDS']);
    expect(errorOf(() => loadConfig(authServerConfigSchema, { LOGIN_SESSION_MAX_SECONDS: String(30 * 86_400 + 1) })).issues.map((i) => i.key)).toEqual(['LOGIN_SESSION_MAX_SECONDS']);
    const inverted = errorOf(() => loadConfig(platformConfigSchema, { LOGIN_SESSION_IDLE_SECONDS: '7200', LOGIN_SESSION_MAX_SECONDS: '3600', MCP_SESSION_IDLE_SECONDS: '7200', MCP_SESSION_MAX_SECONDS: '3600' }));
    expect(inverted.issues.map((i) => i.key)).toEqual(['LOGIN_SESSION_IDLE_SECONDS', 'MCP_SESSION_IDLE_SECONDS']);
    expect(inverted.message).toContain('must be at most LOGIN_SESSION_MAX_SECONDS');
  });
});

describe('maskSecrets', () => {
  it('masks URL passwords and secret-named fields', () => {
    expect(
      maskSecrets({ databaseUrl: 'postgresql://app:s3cret@db:5432/airlock', bootstrapAdmin: { clientId: 'admin', clientSecret: 'x'.repeat(30) } }),
    ).toEqual({ databaseUrl: 'postgresql://app:********@db:5432/airlock', bootstrapAdmin: { clientId: 'admin', clientSecret: '********' } });
  });
  it('gives stdio servers only PATH, LANG, TZ and the allow-listed variables, and refuses to allow secrets', () => {
    const config = loadConfig(gatewayConfigSchema, { PATH: '/usr/bin', HTTPS_PROXY: 'http://proxy:3128', DATABASE_URL: 'postgresql://u:p@db:5432/x', OTHER: 'x' });
    expect(config.stdioSandbox).toEqual({
      binary: 'bwrap',
      envAllow: ['NODE_EXTRA_CA_CERTS', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'SSL_CERT_FILE'],
      inheritedEnv: { PATH: '/usr/bin', HTTPS_PROXY: 'http://proxy:3128' },
    });
    expect(loadConfig(gatewayConfigSchema, { GATEWAY_STDIO_ENV_ALLOW: 'FOO, BAR', FOO: '1', GATEWAY_STDIO_SANDBOX_BINARY: '/opt/bwrap' }).stdioSandbox).toEqual({
      binary: '/opt/bwrap',
      envAllow: ['FOO', 'BAR'],
      inheritedEnv: { FOO: '1' },
    });
    for (const allow of ['AIRLOCK_MASTER_KEY', 'GITHUB_TOKEN', 'NOT A NAME']) expect(() => loadConfig(gatewayConfigSchema, { GATEWAY_STDIO_ENV_ALLOW: allow }), allow).toThrow(ConfigError);
  });

  it('parses the audit export sinks for the session store, requires the webhook secret, and masks it', () => {
    expect(loadConfig(sessionStoreConfigSchema, {}).auditExport).toEqual({ batchSize: 500, pollMs: 1000, jsonl: undefined, webhook: undefined, syslog: undefined });
    const config = loadConfig(sessionStoreConfigSchema, {
      AUDIT_EXPORT_JSONL: '-',
      AUDIT_EXPORT_JSONL_FORMAT: 'ocsf',
      AUDIT_EXPORT_WEBHOOK_URL: 'https://siem.example/ingest/',
      AUDIT_EXPORT_WEBHOOK_SECRET: 'whsec-0123456789abcdef',
      AUDIT_EXPORT_SYSLOG: 'tcp://[::1]:6514',
      AUDIT_EXPORT_BATCH: '100',
    });
    expect(config.auditExport).toEqual({
      batchSize: 100,
      pollMs: 1000,
      jsonl: { path: '-', format: 'ocsf' },
      webhook: { url: 'https://siem.example/ingest', secret: 'whsec-0123456789abcdef', format: 'airlock' },
      syslog: { protocol: 'tcp', host: '::1', port: 6514 },
    });
    expect(JSON.stringify(maskSecrets(config))).not.toContain('whsec-0123456789abcdef');
    expect(loadConfig(sessionStoreConfigSchema, { AUDIT_EXPORT_SYSLOG: 'udp://10.0.0.5:514' }).auditExport.syslog).toEqual({ protocol: 'udp', host: '10.0.0.5', port: 514 });

    const error = errorOf(() =>
      loadConfig(sessionStoreConfigSchema, { AUDIT_EXPORT_WEBHOOK_URL: 'https://siem.example/x', AUDIT_EXPORT_SYSLOG: 'syslog.example:514', AUDIT_EXPORT_JSONL_FORMAT: 'cef', AUDIT_EXPORT_BATCH: '0' }),
    );
    expect(error.issues.map((issue) => issue.key).sort()).toEqual(['AUDIT_EXPORT_BATCH', 'AUDIT_EXPORT_JSONL_FORMAT', 'AUDIT_EXPORT_SYSLOG'].sort());
    expect(errorOf(() => loadConfig(sessionStoreConfigSchema, { AUDIT_EXPORT_WEBHOOK_URL: 'https://siem.example/x' })).issues.map((issue) => issue.key)).toEqual(['AUDIT_EXPORT_WEBHOOK_SECRET']);
    // The launcher's schema knows the keys too.
    expect(() => loadConfig(platformConfigSchema, { AUDIT_EXPORT_WEBHOOK_URL: 'https://siem.example/x' })).toThrow(ConfigError);
  });
});
