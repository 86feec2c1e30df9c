import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gatewayConfigSchema, loadConfig } from '@airlock/config';
import { aggregatedMcpUrl, serverMcpUrl, upstreamSecretContext } from '@airlock/contracts';
import type { Infra, StartedApp } from '@airlock/platform';
import { sealSecret } from '@airlock/platform';
import type { HotStore } from '@airlock/redis';
import { createTestDatabase, createTestHotStore, createTestLogger, createTestQueues } from '@airlock/testing';
import type { TestDatabase, TestHotStore, TestLogger, TestQueues } from '@airlock/testing';
import { startTestIssuer } from '@airlock/token-verifier/testing';
import type { MintOptions, TestIssuer } from '@airlock/token-verifier/testing';
import { startMcpGateway } from '../../src/index.js';
import type { GatewayTuning, UpstreamSecrets } from '../../src/index.js';

// Real Postgres/Redis when DATABASE_URL/REDIS_URL are set, embedded otherwise; a test JWKS issuer stands
// in for the auth server (an edge the gateway does not own); upstreams are the project's MCP fixture,
// built (`npm run build`) and run as a real process over HTTP or stdio.

export const FIXTURE_MAIN = fileURLToPath(new URL('../../../../tools/mcp-fixture/dist/main.js', import.meta.url));
/**
 * The repository, bound read-only into the sandbox of every stdio fixture the tests register (unless a
 * test says otherwise): the fixture runs with the repository's node and node_modules.
 */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url)).replace(/\/$/, '');
export const RUN_CONFORMANCE = fileURLToPath(new URL('../../../../tools/mcp-fixture/dist/run-conformance.js', import.meta.url));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface FixtureProcess {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startFixtureProcess(args: string[] = []): Promise<FixtureProcess> {
  return spawnFixture(FIXTURE_MAIN, args);
}

/** A fixture server's built entry (a tool: spawned, not imported) over HTTP on a free port; resolves once it listens. */
export async function spawnFixture(main: string, args: string[]): Promise<FixtureProcess> {
  const child = spawn(process.execPath, [main, '--http', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const match = /listening on (\S+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`fixture ${main} exited with ${code}: ${seen}`)));
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface Upstream {
  name: string;
  transport: 'http' | 'stdio';
  url?: string;
  command?: string;
  args?: string[];
  credentialKind?: 'none' | 'static_header' | 'client_credentials';
  secrets?: UpstreamSecrets;
  /** stdio: false opts out of the sandbox. */
  sandbox?: boolean;
  /** stdio: read-only paths of the sandbox; REPO_ROOT when not given. */
  readOnlyPaths?: string[];
}

export interface GatewayWorld {
  tenant: string;
  tenantId: string;
  db: TestDatabase;
  hot: TestHotStore;
  queues: TestQueues;
  issuer: TestIssuer;
  masterKey: Buffer;
  /** The gateway's AIRLOCK_DATA_DIR (a temporary directory, removed on close). */
  dataDir: string;
  /** What the gateway (and its replicas) logged, at `options.logLevel` (warn unless told). */
  logs: TestLogger['records'];
  publicUrl: string;
  gateway: StartedApp;
  aggregatedUrl: string;
  serverUrl(name: string): string;
  token(audience: string, options?: Partial<MintOptions>): Promise<string>;
  addUpstream(upstream: Upstream): Promise<string>;
  /** Another replica sharing the database and hot store (a peer connection, or `options.hot`: same prefix, say through a proxy). */
  startReplica(options?: { hot?: HotStore }): Promise<StartedApp>;
  close(): Promise<void>;
}

async function startGateway(
  world: { db: TestDatabase; hot: HotStore; queues: TestQueues; masterKey: Buffer; issuerBase: string; port: number; publicUrl: string; dataDir: string; env: Record<string, string>; logger: TestLogger },
  tuning: Partial<GatewayTuning>,
) {
  const config = loadConfig(gatewayConfigSchema, {
    HOST: '127.0.0.1',
    GATEWAY_PORT: String(world.port),
    GATEWAY_PUBLIC_URL: world.publicUrl,
    AUTH_PUBLIC_URL: world.issuerBase,
    LOG_LEVEL: 'warn',
    // Fixture upstreams listen on the loopback: allowed explicitly, as an operator would (never by default).
    AIRLOCK_UPSTREAM_ALLOW_CIDRS: '127.0.0.1/32',
    // What the gateway's stdio servers inherit (config reads only the env it is given); a data directory of
    // its own, outside the repository that stdio fixtures see.
    ...(process.env['PATH'] ? { PATH: process.env['PATH'] } : {}),
    AIRLOCK_DATA_DIR: world.dataDir,
    ...world.env,
  });
  const infra: Infra = {
    databaseUrl: world.db.url,
    pg: world.db.pg,
    hot: world.hot,
    queues: world.queues,
    masterKey: world.masterKey,
    readiness: [],
    embedded: { database: false, hotStore: false, queues: false },
    close: async () => undefined,
  };
  // The gateway's own tests keep sessions in the hot store: an app's tests cannot start another app (the
  // session store); the full stack runs in tools/bridge's end-to-end tests.
  return startMcpGateway({ config, infra, logger: world.logger, tuning: { sessions: 'local', ...tuning } });
}

export async function startGatewayWorld(tuning: Partial<GatewayTuning> = {}, env: Record<string, string> = {}, options: { logLevel?: string } = {}): Promise<GatewayWorld> {
  const tenant = `t${randomBytes(4).toString('hex')}`;
  const db = await createTestDatabase();
  const hot = createTestHotStore();
  const queues = createTestQueues();
  const issuer = await startTestIssuer();
  await issuer.addKey(tenant);
  const masterKey = randomBytes(32);
  const { rows } = await db.pg.query<{ id: string }>(
    `INSERT INTO tenants (id, slug, display_name, updated_at) VALUES (gen_random_uuid(), $1, $1, now()) RETURNING id`,
    [tenant],
  );
  const tenantId = rows[0]!.id;
  const port = await freePort();
  // With TLS_CERT_FILE in `env` the gateway serves HTTPS (h2 and HTTP/1.1) and its public URL says so.
  const publicUrl = `${env['TLS_CERT_FILE'] ? 'https' : 'http'}://127.0.0.1:${port}`;
  const replicas: StartedApp[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'airlock-gateway-data-'));
  const logger = createTestLogger({ name: 'mcp-gateway', level: options.logLevel ?? 'warn' });
  const base = { db, hot, queues, masterKey, issuerBase: issuer.baseUrl, port, publicUrl, dataDir, env, logger };
  const gateway = await startGateway(base, tuning);
  replicas.push(gateway);
  return {
    tenant,
    tenantId,
    db,
    hot,
    queues,
    issuer,
    masterKey,
    dataDir,
    logs: logger.records,
    publicUrl,
    gateway,
    aggregatedUrl: aggregatedMcpUrl(publicUrl, tenant),
    serverUrl: (name) => serverMcpUrl(publicUrl, tenant, name),
    token: (audience, options = {}) => issuer.mint(tenant, { audience, scope: 'mcp', subject: 'alice', clientId: 'client-a', ...options }),
    async addUpstream(upstream) {
      const secrets = upstream.secrets ? sealSecret(masterKey, JSON.stringify(upstream.secrets), upstreamSecretContext(tenantId, upstream.name)) : null;
      const inserted = await db.pg.query<{ id: string }>(
        `INSERT INTO upstream_servers (id, tenant_id, name, transport, url, command, args, secrets_encrypted, credential_kind, sandbox, read_only_paths, updated_at)
         VALUES (gen_random_uuid(), $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now()) RETURNING id`,
        [
          tenantId,
          upstream.name,
          upstream.transport,
          upstream.url ?? null,
          upstream.command ?? null,
          upstream.args ?? [],
          secrets,
          upstream.credentialKind ?? 'none',
          upstream.sandbox ?? true,
          upstream.readOnlyPaths ?? (upstream.transport === 'stdio' ? [REPO_ROOT] : []),
        ],
      );
      return inserted.rows[0]!.id;
    },
    async startReplica(options = {}) {
      // Same public URL (behind one load balancer), own port, own connection to the shared hot store.
      const replica = await startGateway({ ...base, hot: options.hot ?? hot.peer(), port: await freePort() }, tuning);
      replicas.push(replica);
      return replica;
    },
    async close() {
      for (const replica of replicas.reverse()) await replica.close().catch(() => undefined);
      await issuer.close();
      await queues.close();
      await hot.close();
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
