import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { authServerConfigSchema } from '@airlock/config';
import type { AuthServerConfig } from '@airlock/config';
import { closeHttpApp, createHttpApp, listenHttpApp } from '@airlock/http-server';
import type { Infra } from '@airlock/platform';
import { createTestDatabase, createTestHotStore, createTestLogger, createTestQueues } from '@airlock/testing';
import type { TestDatabase } from '@airlock/testing';
import type { HotStore } from '@airlock/redis';
import { createAppModule } from '../../src/app.module.js';
import { BootstrapService } from '../../src/bootstrap/bootstrap.service.js';
import { mountOidc } from '../../src/oidc/oidc-mount.js';
import type { TenantRecord } from '../../src/oidc/ports.js';
import { OidcProviderRegistry } from '../../src/oidc/tenant-providers.service.js';
import { UsersService } from '../../src/users/users.service.js';

// The auth server with the login, consent and account pages, on a real port, real DB and hot store.

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface UiHarness {
  url: string;
  config: AuthServerConfig;
  db: TestDatabase;
  hot: HotStore;
  app: NestFastifyApplication;
  tenant(slug: string): Promise<TenantRecord>;
  createUser(slug: string, email: string, password: string): Promise<string>;
  close(): Promise<void>;
}

export async function startUiHarness(env: Record<string, string> = {}): Promise<UiHarness> {
  const db = await createTestDatabase();
  const hot = createTestHotStore();
  const queues = createTestQueues();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = authServerConfigSchema.parse({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    AUTH_PORT: String(port),
    AUTH_PUBLIC_URL: url,
    GATEWAY_PUBLIC_URL: 'http://127.0.0.1:1',
    SESSION_STORE_URL: 'http://127.0.0.1:2',
    AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_ID: 'test-admin',
    AIRLOCK_BOOTSTRAP_ADMIN_CLIENT_SECRET: 'test-admin-secret-0123456789abcdef',
    ...env,
  });
  const logger = createTestLogger();
  const infra: Infra = {
    databaseUrl: db.url,
    prisma: db.prisma,
    pg: db.pg,
    hot,
    queues,
    masterKey: randomBytes(32),
    readiness: [],
    embedded: { database: false, hotStore: !process.env['REDIS_URL'], queues: !process.env['REDIS_URL'] },
    close: async () => undefined,
  };
  const app = await createHttpApp(createAppModule({ config, infra, logger }), {
    name: 'auth-server',
    http: config.http,
    logger,
    readiness: [],
  });
  await app.get(BootstrapService).run();
  mountOidc(app, app.get(OidcProviderRegistry));
  await listenHttpApp(app, { port, host: '127.0.0.1' });

  const tenant = async (slug: string): Promise<TenantRecord> => {
    const entry = await app.get(OidcProviderRegistry).forTenant(slug);
    if (!entry) throw new Error(`no tenant ${slug}`);
    return entry.tenant;
  };
  return {
    url,
    config,
    db,
    hot,
    app,
    tenant,
    createUser: async (slug, email, password) => (await app.get(UsersService).createUser((await tenant(slug)).id, { email, password })).id,
    close: async () => {
      await closeHttpApp(app);
      await queues.close();
      await hot.close();
      await db.close();
    },
  };
}


/** A browser's cookie jar, enough for these flows (paths ignored, expiry honoured). */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** A browser-ish request: sends the jar, stores what comes back, never follows redirects. */
export async function browse(jar: CookieJar, url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { cookie: jar.header() };
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const response = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
  jar.store(response);
  return response;
}

export interface ParsedForm {
  action: string;
  fields: Record<string, string>;
}

/** The forms of one of our own pages (our markup: one attribute order, no nesting). */
export function parseForms(html: string): ParsedForm[] {
  const forms: ParsedForm[] = [];
  for (const match of html.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const input of match[2]!.matchAll(/<input ([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
      const value = /value="([^"]*)"/.exec(input[1]!)?.[1] ?? '';
      if (name) fields[name] = value.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>');
    }
    forms.push({ action: match[1]!.replaceAll('&amp;', '&'), fields });
  }
  return forms;
}

export function formFor(html: string, actionSuffix: string): ParsedForm {
  const form = parseForms(html).find((f) => f.action.endsWith(actionSuffix));
  if (!form) throw new Error(`no form posting to *${actionSuffix} in:\n${html.slice(0, 2000)}`);
  return form;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}
