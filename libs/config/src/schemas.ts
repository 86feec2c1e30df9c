import { isIP } from 'node:net';
import { z } from 'zod';
import { isSecretKey } from './mask.js';
import { boolean, httpUrl, logLevel, masterKey, optionalPort, port, positiveInt, postgresUrl, redisUrl, secretString } from './pieces.js';

// Env shapes per concern. Each app's schema is the union of the shapes it needs; the launcher, which runs
// every app in one process, takes the union of all of them.

const runtimeShape = {
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: logLevel,
  AIRLOCK_DATA_DIR: z.string().default('./.airlock'),
  DATABASE_URL: postgresUrl.optional(),
  REDIS_URL: redisUrl.optional(),
  AIRLOCK_MASTER_KEY: masterKey.optional(),
};

const httpShape = {
  HOST: z.string().min(1).default('127.0.0.1'),
  TLS_CERT_FILE: z.string().optional(),
  TLS_KEY_FILE: z.string().optional(),
  HTTP2_CLEARTEXT: boolean(false),
};

const authShape = {
  AUTH_PORT: port(3000),
  AUTH_PUBLIC_URL: httpUrl.optional(),
  /** Where services reach the auth server from inside the network (JWKS, token endpoint); issuers still name AUTH_PUBLIC_URL. */
  AUTH_INTERNAL_URL: httpUrl.optional(),
  AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID: z.string().regex(/^[\w.-]{3,64}$/, { error: 'must be 3-64 letters, digits, dots, dashes or underscores' }).optional(),
  AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET: secretString(24).optional(),
  AIRLOCK_DEMO_USER_EMAIL: z.email({ error: 'must be an email address' }).default('demo@airlock.local'),
  AIRLOCK_DEMO_USER_PASSWORD: secretString(8).optional(),
  /** Where `npm start` runs the demo tenant's `notes` MCP server (loopback only; embedded mode). */
  AIRLOCK_DEMO_SERVER_PORT: port(3003),
};

/** Read by the auth server alone. */
const authLimitsShape = {
  /**
   * Tenants whose oidc-provider instances stay built (least recently used dropped first). Each holds ~90 KiB
   * of heap and ~0.4 MiB of RSS (measured); rebuilding one costs a few ms of CPU, so this should cover
   * every tenant active at once. 1,500: 1,000+ active tenants in ~0.6 GiB at most.
   */
  AUTH_MAX_TENANT_PROVIDERS: positiveInt(1_500, 1_000_000),
  /**
   * How long a tenant lookup (or a miss) is trusted. Changes reach every replica at once over Redis
   * pub/sub; this only bounds how long a lost message goes unnoticed.
   */
  AUTH_TENANT_CACHE_SECONDS: positiveInt(30, 3_600),
  /** How long the resources (RFC 8707 audiences) a tenant serves are cached for consent and token issuance. */
  AUTH_RESOURCE_CACHE_SECONDS: positiveInt(10, 3_600),
  /** How often expired oidc-provider artifacts, spent revoked-grant records and unpublished keys are deleted. */
  AUTH_ARTIFACT_SWEEP_SECONDS: positiveInt(300, 86_400),
  /** How long a call from the auth server to the session store (login sessions) may take before it fails. */
  AUTH_SESSION_STORE_TIMEOUT_MS: positiveInt(5_000, 60_000),
  /** Dynamic client registrations one IP may make per tenant in 10 minutes. */
  AUTH_REGISTRATION_LIMIT_PER_IP: positiveInt(20, 1_000_000),
  /** Dynamic client registrations one tenant accepts in 10 minutes. */
  AUTH_REGISTRATION_LIMIT_PER_TENANT: positiveInt(500, 1_000_000),
};

// --- metrics (Prometheus) --------------------------------------------------------------------------
/**
 * Each service's `/metrics` listens on a port of its own, off unless set, so the public listener never
 * serves it and an operator can keep the port internal. METRICS_HOST defaults to HOST.
 */
const metricsShape = {
  METRICS_HOST: z.string().min(1).optional(),
  AUTH_METRICS_PORT: optionalPort,
  GATEWAY_METRICS_PORT: optionalPort,
  SESSION_STORE_METRICS_PORT: optionalPort,
  /** Tenant/server pairs the gateway labels by id; calls of later pairs share the `other` series. */
  GATEWAY_METRICS_MAX_SERVERS: positiveInt(500, 100_000),
};

type MetricsEnv = z.output<z.ZodObject<typeof metricsShape>> & { HOST: string };
const metrics = (env: MetricsEnv, port: number | undefined) => ({ host: env.METRICS_HOST ?? env.HOST, port, maxServers: env.GATEWAY_METRICS_MAX_SERVERS });
// --- end metrics ---------------------------------------------------------------------------------------

// --- tracing (OpenTelemetry) ------------------------------------------------------------------------
/**
 * OTLP/HTTP (JSON) trace export, off unless an endpoint is set (and OTEL_TRACES_EXPORTER is not `none`).
 * The standard OpenTelemetry variable names; each service names itself (`service.name` = airlock-<service>).
 */
const tracingShape = {
  /** The collector's base URL: traces go to `<endpoint>/v1/traces`. */
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  /** The full traces URL (wins over OTEL_EXPORTER_OTLP_ENDPOINT). */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  /** `otlp` (default) or `none` (off even with an endpoint set). */
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], { error: 'must be otlp or none' }).default('otlp'),
  /** `key=value,key2=value2` (values URL-encoded), sent with every export: a collector's API key. Secret. */
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  /** The share of new traces recorded, 0 to 1 (parent-based: a caller's sampled flag is followed). */
  OTEL_TRACES_SAMPLER_ARG: z
    .string()
    .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { error: 'must be a number from 0 to 1' })
    .transform(Number)
    .prefault('1'),
  /** How often ended spans are exported (ms). */
  OTEL_BSP_SCHEDULE_DELAY: positiveInt(5_000, 600_000),
  /** Ended spans held for export at most; more are dropped until the next export. */
  OTEL_BSP_MAX_QUEUE_SIZE: positiveInt(2_048, 1_000_000),
  /** Spans per export request at most (no more than the queue). */
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: positiveInt(512, 1_000_000),
};

type TracingEnv = z.output<z.ZodObject<typeof tracingShape>>;

function otlpHeaders(value: string | undefined, ctx: z.RefinementCtx): Array<[string, string]> {
  if (!value) return [];
  const pairs: Array<[string, string]> = [];
  for (const item of value.split(',')) {
    if (item.trim() === '') continue;
    const equals = item.indexOf('=');
    const name = equals > 0 ? item.slice(0, equals).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      ctx.addIssue({ code: 'custom', path: ['OTEL_EXPORTER_OTLP_HEADERS'], message: 'must be comma-separated key=value pairs' });
      return [];
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(item.slice(equals + 1).trim());
    } catch {
      ctx.addIssue({ code: 'custom', path: ['OTEL_EXPORTER_OTLP_HEADERS'], message: 'values must be URL-encoded' });
      return [];
    }
    pairs.push([name, decoded]);
  }
  return pairs;
}

function tracesUrl(env: TracingEnv): string | undefined {
  if (env.OTEL_TRACES_EXPORTER === 'none') return undefined;
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  return env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces` : undefined;
}

const tracing = (env: TracingEnv, ctx: z.RefinementCtx) => ({
  tracesUrl: tracesUrl(env),
  // Named so that config masking hides every value (mask.ts: *credential* keys).
  credentialHeaders: otlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS, ctx),
  sampleRatio: env.OTEL_TRACES_SAMPLER_ARG,
  scheduleDelayMs: env.OTEL_BSP_SCHEDULE_DELAY,
  maxQueueSize: env.OTEL_BSP_MAX_QUEUE_SIZE,
  maxExportBatchSize: Math.min(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, env.OTEL_BSP_MAX_QUEUE_SIZE),
});
// --- end tracing ---------------------------------------------------------------------------------------

const gatewayShape = {
  GATEWAY_PORT: port(3001),
  GATEWAY_PUBLIC_URL: httpUrl.optional(),
};

/** Read by the gateway alone (the other apps only need to know where the gateway is). */
const gatewayLimitsShape = {
  /** Calls a tenant may make per minute across all its sessions and replicas. */
  GATEWAY_RATE_LIMIT_PER_TENANT_PER_MINUTE: positiveInt(10_000, 1_000_000_000),
  /** Calls one MCP session may make per minute. */
  GATEWAY_RATE_LIMIT_PER_SESSION_PER_MINUTE: positiveInt(600, 1_000_000_000),
  /**
   * How long (ms) the gateway trusts an upstream's tool names it read for a 2026-07-28 call before it reads
   * them again (a name it does not know is always read again at once). A tool removed upstream is refused
   * at most this long after.
   */
  GATEWAY_TOOL_LIST_TTL_MS: positiveInt(30_000, 3_600_000),
};

// --- stdio upstream sandbox (gateway) ---------------------------------------------------------------
/** What every stdio server gets from the gateway's environment whatever the allow-list says. */
const STDIO_BUILT_IN_ENV = ['PATH', 'LANG', 'TZ'];

/** Read by the gateway alone: how stdio upstreams are sandboxed (bubblewrap) and which variables reach them. */
const stdioSandboxShape = {
  /** The bubblewrap binary: a path, or a name looked up on PATH. */
  GATEWAY_STDIO_SANDBOX_BINARY: z.string().min(1).default('bwrap'),
  /** Comma-separated names of gateway environment variables passed to stdio servers (besides PATH, LANG, TZ). */
  GATEWAY_STDIO_ENV_ALLOW: z
    .string()
    .default('NODE_EXTRA_CA_CERTS,HTTPS_PROXY,HTTP_PROXY,NO_PROXY,SSL_CERT_FILE')
    .transform((value) => value.split(',').map((name) => name.trim()).filter(Boolean))
    .refine((names) => names.every((name) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)), { error: 'must be comma-separated environment variable names' })
    // The gateway's own secrets never pass, whatever an operator lists.
    .refine((names) => !names.some((name) => isSecretKey(name) || name.startsWith('AIRLOCK_')), { error: 'must not name secrets or AIRLOCK_* variables' }),
};

type StdioSandboxEnv = z.output<z.ZodObject<typeof stdioSandboxShape>> & Record<string, unknown>;

function stdioSandbox(env: StdioSandboxEnv) {
  const names = [...STDIO_BUILT_IN_ENV, ...env.GATEWAY_STDIO_ENV_ALLOW];
  const inherited: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (typeof value === 'string') inherited[name] = value;
  }
  return { binary: env.GATEWAY_STDIO_SANDBOX_BINARY, envAllow: env.GATEWAY_STDIO_ENV_ALLOW, inheritedEnv: inherited };
}
// --- end stdio upstream sandbox ------------------------------------------------------------------------

// --- audit export (issue 18) ---------------------------------------------------------------------------
// The session store streams `audit_events` to up to three sinks, each with its own durable cursor. A sink
// is on when its key is set. Read by the session store alone (and the launcher, which runs it).
const auditExportFormat = z.enum(['airlock', 'ocsf'], { error: 'must be airlock or ocsf' }).default('airlock');

const syslogTarget = z
  .string()
  .refine((v) => URL.canParse(v) && /^(udp|tcp):$/.test(new URL(v).protocol) && new URL(v).hostname !== '' && new URL(v).port !== '', {
    error: 'must be udp://host:port or tcp://host:port',
  })
  .transform((v) => {
    const url = new URL(v);
    return { protocol: url.protocol.slice(0, -1) as 'udp' | 'tcp', host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
  });

const auditExportShape = {
  /** Append every audit record as one JSON line to this file (fsync'd per batch), or `-` for stdout. */
  AUDIT_EXPORT_JSONL: z.string().min(1).optional(),
  AUDIT_EXPORT_JSONL_FORMAT: auditExportFormat,
  /** POST batches (a JSON array) here, signed with AUDIT_EXPORT_WEBHOOK_SECRET. */
  AUDIT_EXPORT_WEBHOOK_URL: httpUrl.optional(),
  AUDIT_EXPORT_WEBHOOK_SECRET: secretString(16).optional(),
  AUDIT_EXPORT_WEBHOOK_FORMAT: auditExportFormat,
  /** RFC 5424 syslog with a CEF payload: udp://host:port, or tcp://host:port (octet-counting framing). */
  AUDIT_EXPORT_SYSLOG: syslogTarget.optional(),
  /** Records per batch: the unit a sink acknowledges, and the most a restart may deliver twice. */
  AUDIT_EXPORT_BATCH: positiveInt(500, 10_000),
  /** How often a caught-up exporter looks for new records. */
  AUDIT_EXPORT_POLL_MS: positiveInt(1_000, 60_000),
};

type AuditExportEnv = z.output<z.ZodObject<typeof auditExportShape>>;

function auditExportCheck(env: { AUDIT_EXPORT_WEBHOOK_URL?: string | undefined; AUDIT_EXPORT_WEBHOOK_SECRET?: string | undefined }, ctx: z.RefinementCtx) {
  if (env.AUDIT_EXPORT_WEBHOOK_URL && !env.AUDIT_EXPORT_WEBHOOK_SECRET) {
    ctx.addIssue({ code: 'custom', path: ['AUDIT_EXPORT_WEBHOOK_SECRET'], message: 'required when AUDIT_EXPORT_WEBHOOK_URL is set (receivers verify the signature)' });
  }
}

function auditExport(env: AuditExportEnv) {
  return {
    batchSize: env.AUDIT_EXPORT_BATCH,
    pollMs: env.AUDIT_EXPORT_POLL_MS,
    jsonl: env.AUDIT_EXPORT_JSONL ? { path: env.AUDIT_EXPORT_JSONL, format: env.AUDIT_EXPORT_JSONL_FORMAT } : undefined,
    webhook:
      env.AUDIT_EXPORT_WEBHOOK_URL && env.AUDIT_EXPORT_WEBHOOK_SECRET
        ? { url: env.AUDIT_EXPORT_WEBHOOK_URL, secret: env.AUDIT_EXPORT_WEBHOOK_SECRET, format: env.AUDIT_EXPORT_WEBHOOK_FORMAT }
        : undefined,
    syslog: env.AUDIT_EXPORT_SYSLOG,
  };
}
// --- end audit export ----------------------------------------------------------------------------------

const sessionStoreShape = {
  SESSION_STORE_PORT: port(3002),
  SESSION_STORE_URL: httpUrl.optional(),
};

const sessionStoreTimingShape = {
  /** How long a tenant lookup (slug to id) is trusted; tenant changes reach every replica over Redis pub/sub. */
  SESSION_STORE_TENANT_CACHE_SECONDS: positiveInt(30, 3_600),
  /** How often idle and expired sessions are ended (one replica runs each sweep). */
  SESSION_STORE_EXPIRY_SWEEP_SECONDS: positiveInt(60, 3_600),
  /** How often batched session touches (idle deadlines) are written to Redis. */
  SESSION_STORE_TOUCH_FLUSH_MS: positiveInt(1_000, 60_000),
  /** How often last-seen times reach Postgres (the expiry sweep re-checks Redis before ending a session). */
  SESSION_STORE_LAST_SEEN_FLUSH_SECONDS: positiveInt(30, 3_600),
};

// --- session limits ------------------------------------------------------------------------------------
// Kept in one block: how long sessions last when their creator names no limit. The session store applies
// them (it owns sessions); the auth server asks for the login ones when a browser signs in and uses the
// maximum as its oidc-provider session lifetime, so both read the same keys. Bounded by what the session
// store API accepts (idle at most a day, lifetime at most 30 days).
const MAX_IDLE_SECONDS = 86_400;
const MAX_LIFETIME_SECONDS = 30 * 86_400;

const loginSessionShape = {
  /** A browser signed in but unused this long signs in again. */
  LOGIN_SESSION_IDLE_SECONDS: positiveInt(86_400, MAX_IDLE_SECONDS),
  /** A browser signs in again after this long, used or not. */
  LOGIN_SESSION_MAX_SECONDS: positiveInt(14 * 86_400, MAX_LIFETIME_SECONDS),
};

/** Read by the auth server alone: the account page's own sign-in (outside any authorization). */
const accountSessionShape = {
  ACCOUNT_SESSION_MAX_SECONDS: positiveInt(30 * 60, MAX_IDLE_SECONDS),
};

/** Read by the session store alone: MCP sessions the gateway opens without limits of its own. */
const mcpSessionShape = {
  MCP_SESSION_IDLE_SECONDS: positiveInt(30 * 60, MAX_IDLE_SECONDS),
  MCP_SESSION_MAX_SECONDS: positiveInt(86_400, MAX_LIFETIME_SECONDS),
};

type SessionLimitEnv = Partial<Record<keyof typeof loginSessionShape | keyof typeof mcpSessionShape, number>>;

/** An idle limit longer than the lifetime would never apply: refused, naming the idle key. */
function sessionLimitsCheck(env: SessionLimitEnv, ctx: z.RefinementCtx) {
  for (const kind of ['LOGIN', 'MCP'] as const) {
    const idle = env[`${kind}_SESSION_IDLE_SECONDS`];
    const max = env[`${kind}_SESSION_MAX_SECONDS`];
    if (idle !== undefined && max !== undefined && idle > max) {
      ctx.addIssue({ code: 'custom', path: [`${kind}_SESSION_IDLE_SECONDS`], message: `must be at most ${kind}_SESSION_MAX_SECONDS` });
    }
  }
}

const loginSessionLimits = (env: z.output<z.ZodObject<typeof loginSessionShape>>) => ({
  idleSeconds: env.LOGIN_SESSION_IDLE_SECONDS,
  maxSeconds: env.LOGIN_SESSION_MAX_SECONDS,
});
// --- end session limits ----------------------------------------------------------------------------------

// --- egress (upstream address policy) -----------------------------------------------------------------
// Kept in one block: which loopback/private targets tenants' upstreams may reach, and Airlock's own
// endpoints, which they never may. Read by the auth server (registration) and the gateway (connect time).

const commaList = z.string().transform((v) => v.split(',').map((item) => item.trim()).filter(Boolean));

const egressShape = {
  /** CIDRs (or bare addresses) whose loopback/private addresses upstreams may use, e.g. `10.0.0.0/8,192.168.1.0/24`. */
  AIRLOCK_UPSTREAM_ALLOW_CIDRS: commaList
    .refine((items) => items.every(isCidr), { error: 'must be a comma-separated list of CIDRs (10.0.0.0/8, fd00::/8)' })
    .prefault(''),
  /** `host` or `host:port` names whose loopback/private addresses upstreams may use, e.g. `mcp.internal:8443,notes.corp`. */
  AIRLOCK_UPSTREAM_ALLOW_HOSTS: commaList
    .refine((items) => items.every((item) => /^(?:\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::\d{1,5})?$/i.test(item)), { error: 'must be a comma-separated list of host or host:port' })
    .prefault(''),
};

function isCidr(entry: string): boolean {
  const [network = '', prefix, extra] = entry.split('/');
  const family = isIP(network);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

type EgressEnv = z.output<z.ZodObject<typeof egressShape>>;

const hostPort = (url: string | undefined, fallbackPort: number): string[] => {
  const parsed = url ? URL.parse(url) : null;
  if (!parsed) return [];
  return [`${parsed.hostname}:${parsed.port || fallbackPort}`];
};

/** The egress policy's settings; `ownServices` lists every endpoint of Airlock itself (host:port). */
function egress(env: EgressEnv & Partial<RuntimeEnv & HttpEnv>, own: { urls: string[]; listenPorts: number[] }) {
  const ownServices = new Set<string>([
    ...own.urls.flatMap((url) => hostPort(url, url.startsWith('https:') ? 443 : 80)),
    ...own.listenPorts.map((port) => `${env.HOST ?? '127.0.0.1'}:${port}`),
    ...hostPort(env.DATABASE_URL, 5432),
    ...hostPort(env.REDIS_URL, 6379),
  ]);
  return { allowHosts: env.AIRLOCK_UPSTREAM_ALLOW_HOSTS, allowCidrs: env.AIRLOCK_UPSTREAM_ALLOW_CIDRS, ownServices: [...ownServices] };
}

type RuntimeEnv = z.output<z.ZodObject<typeof runtimeShape>>;
type HttpEnv = z.output<z.ZodObject<typeof httpShape>>;

function runtime(env: RuntimeEnv) {
  return {
    env: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    dataDir: env.AIRLOCK_DATA_DIR,
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    masterKey: env.AIRLOCK_MASTER_KEY,
  };
}

function http(env: HttpEnv) {
  return {
    host: env.HOST,
    tls: env.TLS_CERT_FILE && env.TLS_KEY_FILE ? { certFile: env.TLS_CERT_FILE, keyFile: env.TLS_KEY_FILE } : undefined,
    h2c: env.HTTP2_CLEARTEXT,
  };
}

/** Every URL and listen port of the three services, as the config names them. */
function ownEndpoints(env: {
  AUTH_PORT: number;
  AUTH_PUBLIC_URL?: string | undefined;
  AUTH_INTERNAL_URL?: string | undefined;
  GATEWAY_PORT: number;
  GATEWAY_PUBLIC_URL?: string | undefined;
  SESSION_STORE_PORT: number;
  SESSION_STORE_URL?: string | undefined;
}) {
  return {
    urls: [
      publicUrl(env.AUTH_PUBLIC_URL, env.AUTH_PORT),
      env.AUTH_INTERNAL_URL ?? publicUrl(env.AUTH_PUBLIC_URL, env.AUTH_PORT),
      publicUrl(env.GATEWAY_PUBLIC_URL, env.GATEWAY_PORT),
      publicUrl(env.SESSION_STORE_URL, env.SESSION_STORE_PORT),
    ],
    listenPorts: [env.AUTH_PORT, env.GATEWAY_PORT, env.SESSION_STORE_PORT].filter((port) => port > 0),
  };
}

const publicUrl = (explicit: string | undefined, portNumber: number) => explicit ?? `http://localhost:${portNumber}`;

function tlsPairCheck(env: { TLS_CERT_FILE?: string | undefined; TLS_KEY_FILE?: string | undefined }, ctx: z.RefinementCtx) {
  if (Boolean(env.TLS_CERT_FILE) !== Boolean(env.TLS_KEY_FILE)) {
    const missing = env.TLS_CERT_FILE ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'TLS_CERT_FILE and TLS_KEY_FILE must be set together' });
  }
}

function adminPairCheck(
  env: { AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID?: string | undefined; AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET?: string | undefined },
  ctx: z.RefinementCtx,
) {
  if (Boolean(env.AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID) !== Boolean(env.AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET)) {
    const missing = env.AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID ? 'AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET' : 'AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'the bootstrap admin client id and secret must be set together' });
  }
}

export const authServerConfigSchema = z
  .object({ ...runtimeShape, ...httpShape, ...authShape, ...authLimitsShape, ...sessionStoreShape, ...gatewayShape, ...egressShape, ...loginSessionShape, ...accountSessionShape, ...metricsShape, ...tracingShape })
  .superRefine(tlsPairCheck)
  .superRefine(adminPairCheck)
  .superRefine(sessionLimitsCheck)
  .transform((env, ctx) => ({
    tracing: tracing(env, ctx),
    ...runtime(env),
    http: http(env),
    port: env.AUTH_PORT,
    metrics: metrics(env, env.AUTH_METRICS_PORT),
    publicUrl: publicUrl(env.AUTH_PUBLIC_URL, env.AUTH_PORT),
    gatewayPublicUrl: publicUrl(env.GATEWAY_PUBLIC_URL, env.GATEWAY_PORT),
    sessionStoreUrl: publicUrl(env.SESSION_STORE_URL, env.SESSION_STORE_PORT),
    bootstrapAdmin:
      env.AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID && env.AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET
        ? { clientId: env.AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID, clientSecret: env.AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET }
        : undefined,
    demoUser: { email: env.AIRLOCK_DEMO_USER_EMAIL, password: env.AIRLOCK_DEMO_USER_PASSWORD },
    demoServerPort: env.AIRLOCK_DEMO_SERVER_PORT,
    maxTenantProviders: env.AUTH_MAX_TENANT_PROVIDERS,
    tenantCacheMs: env.AUTH_TENANT_CACHE_SECONDS * 1000,
    resourceCacheMs: env.AUTH_RESOURCE_CACHE_SECONDS * 1000,
    artifactSweepEveryMs: env.AUTH_ARTIFACT_SWEEP_SECONDS * 1000,
    sessionStoreTimeoutMs: env.AUTH_SESSION_STORE_TIMEOUT_MS,
    registrationLimits: {
      perIp: { max: env.AUTH_REGISTRATION_LIMIT_PER_IP, windowMs: 10 * 60_000 },
      perTenant: { max: env.AUTH_REGISTRATION_LIMIT_PER_TENANT, windowMs: 10 * 60_000 },
    },
    egress: egress(env, ownEndpoints(env)),
    sessions: { login: loginSessionLimits(env), accountPageSeconds: env.ACCOUNT_SESSION_MAX_SECONDS },
  }));

export const sessionStoreConfigSchema = z
  .object({ ...runtimeShape, ...httpShape, ...sessionStoreShape, ...sessionStoreTimingShape, ...authShape, ...loginSessionShape, ...mcpSessionShape, ...metricsShape, ...tracingShape, ...auditExportShape })
  .superRefine(tlsPairCheck)
  .superRefine(sessionLimitsCheck)
  .superRefine(auditExportCheck)
  .transform((env, ctx) => ({
    tracing: tracing(env, ctx),
    ...runtime(env),
    http: http(env),
    port: env.SESSION_STORE_PORT,
    metrics: metrics(env, env.SESSION_STORE_METRICS_PORT),
    publicUrl: publicUrl(env.SESSION_STORE_URL, env.SESSION_STORE_PORT),
    authPublicUrl: publicUrl(env.AUTH_PUBLIC_URL, env.AUTH_PORT),
    authInternalUrl: env.AUTH_INTERNAL_URL ?? publicUrl(env.AUTH_PUBLIC_URL, env.AUTH_PORT),
    sessions: {
      login: loginSessionLimits(env),
      mcp: { idleSeconds: env.MCP_SESSION_IDLE_SECONDS, maxSeconds: env.MCP_SESSION_MAX_SECONDS },
    },
    tenantCacheMs: env.SESSION_STORE_TENANT_CACHE_SECONDS * 1000,
    expirySweepEveryMs: env.SESSION_STORE_EXPIRY_SWEEP_SECONDS * 1000,
    touchFlushMs: env.SESSION_STORE_TOUCH_FLUSH_MS,
    lastSeenFlushMs: env.SESSION_STORE_LAST_SEEN_FLUSH_SECONDS * 1000,
    auditExport: auditExport(env),
  }));

// Loose: the stdio allow-list names variables the schema cannot know in advance; the transform copies only
// those (stdioSandbox), nothing else of the environment survives it.
export const gatewayConfigSchema = z
  .looseObject({ ...runtimeShape, ...httpShape, ...gatewayShape, ...gatewayLimitsShape, ...authShape, ...sessionStoreShape, ...egressShape, ...stdioSandboxShape, ...metricsShape, ...tracingShape })
  .superRefine(tlsPairCheck)
  .transform((env, ctx) => ({
    tracing: tracing(env, ctx),
    ...runtime(env),
    http: http(env),
    port: env.GATEWAY_PORT,
    metrics: metrics(env, env.GATEWAY_METRICS_PORT),
    publicUrl: publicUrl(env.GATEWAY_PUBLIC_URL, env.GATEWAY_PORT),
    authPublicUrl: publicUrl(env.AUTH_PUBLIC_URL, env.AUTH_PORT),
    authInternalUrl: env.AUTH_INTERNAL_URL ?? publicUrl(env.AUTH_PUBLIC_URL, env.AUTH_PORT),
    sessionStoreUrl: publicUrl(env.SESSION_STORE_URL, env.SESSION_STORE_PORT),
    rateLimits: {
      perTenantPerMinute: env.GATEWAY_RATE_LIMIT_PER_TENANT_PER_MINUTE,
      perSessionPerMinute: env.GATEWAY_RATE_LIMIT_PER_SESSION_PER_MINUTE,
    },
    toolListTtlMs: env.GATEWAY_TOOL_LIST_TTL_MS,
    egress: egress(env, ownEndpoints(env)),
    stdioSandbox: stdioSandbox(env),
  }));

/** Everything the three apps need; what the launcher parses when it runs them in one process. */
export const platformConfigSchema = z
  .object({ ...runtimeShape, ...httpShape, ...authShape, ...authLimitsShape, ...gatewayShape, ...gatewayLimitsShape, ...sessionStoreShape, ...sessionStoreTimingShape, ...egressShape, ...stdioSandboxShape, ...loginSessionShape, ...accountSessionShape, ...mcpSessionShape, ...metricsShape, ...tracingShape, ...auditExportShape })
  .superRefine(tlsPairCheck)
  .superRefine(adminPairCheck)
  .superRefine(sessionLimitsCheck)
  .superRefine(auditExportCheck);

export type AuthServerConfig = z.output<typeof authServerConfigSchema>;
export type SessionStoreConfig = z.output<typeof sessionStoreConfigSchema>;
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type RuntimeConfig = ReturnType<typeof runtime>;
export type StdioSandboxConfig = ReturnType<typeof stdioSandbox>;
export type HttpConfig = ReturnType<typeof http>;
export type AuditExportConfig = ReturnType<typeof auditExport>;
export type EgressConfig = ReturnType<typeof egress>;
