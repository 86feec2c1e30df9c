import { z } from 'zod';
import { isSecretKey } from './mask.js';
import { boolean, httpUrl, logLevel, masterKey, port, positiveInt, postgresUrl, redisUrl, secretString } from './pieces.js';

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
};

/** Read by the auth server alone. */
const authLimitsShape = {
  /**
   * Tenants whose oidc-provider instances stay built (least recently used dropped first). Each holds ~90 KiB
   * of heap and ~0.4 MiB of RSS (measured); rebuilding one costs a few ms of CPU, so this should cover
   * every tenant active at once. 1,500: 1,000+ active tenants in ~0.6 GiB at most.
   */
  AUTH_MAX_TENANT_PROVIDERS: positiveInt(1_500, 1_000_000),
};

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

const sessionStoreShape = {
  SESSION_STORE_PORT: port(3002),
  SESSION_STORE_URL: httpUrl.optional(),
};

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
  .object({ ...runtimeShape, ...httpShape, ...authShape, ...authLimitsShape, ...sessionStoreShape, ...gatewayShape })
  .superRefine(tlsPairCheck)
  .superRefine(adminPairCheck)
  .transform((env) => ({
    ...runtime(env),
    http: http(env),
    port: env.AUTH_PORT,
    publicUrl: publicUrl(env.AUTH_PUBLIC_URL, env.AUTH_PORT),
    gatewayPublicUrl: publicUrl(env.GATEWAY_PUBLIC_URL, env.GATEWAY_PORT),
    sessionStoreUrl: publicUrl(env.SESSION_STORE_URL, env.SESSION_STORE_PORT),
    bootstrapAdmin:
      env.AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID && env.AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET
        ? { clientId: env.AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID, clientSecret: env.AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET }
        : undefined,
    demoUser: { email: env.AIRLOCK_DEMO_USER_EMAIL, password: env.AIRLOCK_DEMO_USER_PASSWORD },
    maxTenantProviders: env.AUTH_MAX_TENANT_PROVIDERS,
  }));

export const sessionStoreConfigSchema = z
  .object({ ...runtimeShape, ...httpShape, ...sessionStoreShape, ...authShape })
  .superRefine(tlsPairCheck)
  .transform((env) => ({
    ...runtime(env),
    http: http(env),
    port: env.SESSION_STORE_PORT,
    publicUrl: publicUrl(env.SESSION_STORE_URL, env.SESSION_STORE_PORT),
    authPublicUrl: publicUrl(env.AUTH_PUBLIC_URL, env.AUTH_PORT),
    authInternalUrl: env.AUTH_INTERNAL_URL ?? publicUrl(env.AUTH_PUBLIC_URL, env.AUTH_PORT),
  }));

// Loose: the stdio allow-list names variables the schema cannot know in advance; the transform copies only
// those (stdioSandbox), nothing else of the environment survives it.
export const gatewayConfigSchema = z
  .looseObject({ ...runtimeShape, ...httpShape, ...gatewayShape, ...gatewayLimitsShape, ...authShape, ...sessionStoreShape, ...stdioSandboxShape })
  .superRefine(tlsPairCheck)
  .transform((env) => ({
    ...runtime(env),
    http: http(env),
    port: env.GATEWAY_PORT,
    publicUrl: publicUrl(env.GATEWAY_PUBLIC_URL, env.GATEWAY_PORT),
    authPublicUrl: publicUrl(env.AUTH_PUBLIC_URL, env.AUTH_PORT),
    authInternalUrl: env.AUTH_INTERNAL_URL ?? publicUrl(env.AUTH_PUBLIC_URL, env.AUTH_PORT),
    sessionStoreUrl: publicUrl(env.SESSION_STORE_URL, env.SESSION_STORE_PORT),
    rateLimits: {
      perTenantPerMinute: env.GATEWAY_RATE_LIMIT_PER_TENANT_PER_MINUTE,
      perSessionPerMinute: env.GATEWAY_RATE_LIMIT_PER_SESSION_PER_MINUTE,
    },
    stdioSandbox: stdioSandbox(env),
  }));

/** Everything the three apps need; what the launcher parses when it runs them in one process. */
export const platformConfigSchema = z
  .object({ ...runtimeShape, ...httpShape, ...authShape, ...authLimitsShape, ...gatewayShape, ...gatewayLimitsShape, ...sessionStoreShape, ...stdioSandboxShape })
  .superRefine(tlsPairCheck)
  .superRefine(adminPairCheck);

export type AuthServerConfig = z.output<typeof authServerConfigSchema>;
export type SessionStoreConfig = z.output<typeof sessionStoreConfigSchema>;
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type RuntimeConfig = ReturnType<typeof runtime>;
export type StdioSandboxConfig = ReturnType<typeof stdioSandbox>;
export type HttpConfig = ReturnType<typeof http>;
