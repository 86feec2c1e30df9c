import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '@airlock/testing';
import type { TestDatabase } from '@airlock/testing';
import type { HotStore } from '@airlock/redis';
import type { TenantRecord } from '../../src/tenants/tenant-record.js';
import { ClientMetadataRepository } from '../../src/client-metadata/client-metadata.repository.js';
import { ClientMetadataService } from '../../src/client-metadata/client-metadata.service.js';
import { defaultClientMetadataOptions } from '../../src/client-metadata/client-metadata.options.js';
import type { ClientMetadataOptions } from '../../src/client-metadata/client-metadata.options.js';
import { HostResolver, SystemHostResolver } from '../../src/client-metadata/safe-fetcher.js';
import type { ResolvedAddress } from '../../src/client-metadata/safe-fetcher.js';
import { createUiTestHotStore, insertTenant, startRouteServer } from './ui-support.js';
import { refusal } from '../support/refusal.js';

/** DNS answers for names the test owns; everything else goes to the system resolver. */
class ScriptedResolver extends HostResolver {
  readonly calls: string[] = [];
  constructor(private readonly answers: Record<string, Array<ResolvedAddress[]>>) {
    super();
  }
  override async resolve(hostname: string): Promise<ResolvedAddress[]> {
    this.calls.push(hostname);
    const queue = this.answers[hostname];
    if (!queue) return new SystemHostResolver().resolve(hostname);
    return queue.length > 1 ? queue.shift()! : queue[0]!;
  }
}

const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });

function doc(clientId: string, extra: Record<string, unknown> = {}) {
  return JSON.stringify({ client_id: clientId, client_name: 'Test MCP Client', redirect_uris: ['http://127.0.0.1:33418/callback'], token_endpoint_auth_method: 'none', ...extra });
}

describe('ClientMetadataService (Client ID Metadata Documents)', () => {
  let db: TestDatabase;
  let hot: HotStore;
  let tenant: TenantRecord;
  let server: Awaited<ReturnType<typeof startRouteServer>>;
  let slowRelease: () => void = () => undefined;
  const heldReplies: Array<() => void> = [];

  const service = (options: Partial<ClientMetadataOptions> = {}, resolver: HostResolver = new SystemHostResolver()) =>
    new ClientMetadataService(hot, { ...defaultClientMetadataOptions('development'), ...options }, new ClientMetadataRepository(db.pg), resolver);

  beforeAll(async () => {
    db = await createTestDatabase();
    hot = createUiTestHotStore();
    tenant = await insertTenant(db.pg, 'cimd');
    server = await startRouteServer({
      '/client.json': (req, res, base) => {
        res.setHeader('content-type', 'application/json');
        res.setHeader('cache-control', 'public, max-age=120');
        res.end(doc(`${base}/client.json`));
      },
      '/shared.json': (req, res, base) => {
        res.setHeader('content-type', 'application/json');
        res.end(doc(`${base}/shared.json`));
      },
      '/pinned.json': (req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(doc(`http://pinned.localhost:${req.socket.localPort}/pinned.json`));
      },
      '/redirect-loopback': (req, res) => {
        res.writeHead(302, { location: `https://127.0.0.1:${req.socket.localPort}/client.json` }).end();
      },
      '/redirect-loopback-http': (req, res) => {
        res.writeHead(302, { location: `http://127.0.0.1:${req.socket.localPort}/client.json` }).end();
      },
      '/redirect-private': (req, res) => res.writeHead(302, { location: 'https://10.0.0.5/client.json' }).end(),
      '/redirect-metadata': (req, res) => res.writeHead(307, { location: 'https://169.254.169.254/latest/meta-data/' }).end(),
      '/redirect-http': (req, res) => res.writeHead(301, { location: 'http://example.com/client.json' }).end(),
      '/oversize': (req, res, base) => {
        res.setHeader('content-type', 'application/json');
        res.write(doc(`${base}/oversize`, { padding: 'x'.repeat(4000) }).slice(0, 10));
        res.end('x'.repeat(6000));
      },
      '/oversize-declared': (req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
        res.end('{'.padEnd(100000, ' '));
      },
      '/slow': (_req, res) => {
        slowRelease = () => res.end('{}');
      },
      '/wrong-id': (req, res) => {
        res.setHeader('content-type', 'application/json');
        res.end(doc('https://someone-else.example/client.json'));
      },
      '/not-json': (req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end('<html>hello</html>');
      },
      '/array': (req, res) => res.end('[]'),
      '/secret': (req, res, base) => res.end(doc(`${base}/secret`, { client_secret: 'shh', token_endpoint_auth_method: 'client_secret_basic' })),
      '/basic': (req, res, base) => res.end(doc(`${base}/basic`, { token_endpoint_auth_method: 'client_secret_post' })),
      '/bad-redirect': (req, res, base) => res.end(doc(`${base}/bad-redirect`, { redirect_uris: ['javascript:alert(1)'] })),
      '/http-redirect-uri': (req, res, base) => res.end(doc(`${base}/http-redirect-uri`, { redirect_uris: ['http://evil.example/cb'] })),
      '/no-name': (req, res, base) => res.end(JSON.stringify({ client_id: `${base}/no-name`, redirect_uris: ['https://a.example/cb'] })),
      '/implicit': (req, res, base) => res.end(doc(`${base}/implicit`, { grant_types: ['implicit'] })),
      '/status-500': (req, res) => res.writeHead(500).end(),
      '/budget': (req, res, base) => {
        res.setHeader('content-type', 'application/json');
        res.end(doc(`${base}${req.url}`));
      },
      '/held': (req, res, base) => {
        heldReplies.push(() => res.end(doc(`${base}${req.url}`)));
      },
    });
  });

  afterAll(async () => {
    slowRelease();
    for (const reply of heldReplies) reply();
    await server?.close();
    await hot?.close();
    await db?.close();
  });

  it('fetches, validates and returns the document as client metadata', async () => {
    const url = `${server.base}/client.json`;
    const metadata = await service().resolve(tenant, url);
    expect(metadata).toMatchObject({ client_id: url, client_name: 'Test MCP Client', redirect_uris: ['http://127.0.0.1:33418/callback'], token_endpoint_auth_method: 'none' });
  });

  it('caches per Cache-Control in the hot store and in oauth_clients', async () => {
    const url = `${server.base}/client.json`;
    const before = server.hits.get('/client.json') ?? 0;
    await service().resolve(tenant, url);
    expect(server.hits.get('/client.json')).toBe(before);

    const { rows } = await db.pg.query<{ kind: string; stale: Date; fetched: Date }>(
      `SELECT kind, stale_at AS stale, fetched_at AS fetched FROM oauth_clients WHERE tenant_id = $1 AND client_id = $2`,
      [tenant.id, url],
    );
    expect(rows[0]?.kind).toBe('metadata_document');
    expect((rows[0]!.stale.getTime() - rows[0]!.fetched.getTime()) / 1000).toBe(120);

    // Hot store lost: the durable row still answers without a fetch.
    await hot.del(ClientMetadataService.cacheKey(tenant.slug, url));
    await service().resolve(tenant, url);
    expect(server.hits.get('/client.json')).toBe(before);
  });

  it('fetches a document once for concurrent authorizations', async () => {
    const svc = service();
    const url = `${server.base}/shared.json`;
    await Promise.all(Array.from({ length: 8 }, () => svc.resolve(tenant, url)));
    expect(server.hits.get('/shared.json')).toBe(1);
  });

  it('connects to the address it vetted, never resolving twice (DNS rebinding)', async () => {
    // pinned.localhost does not resolve on this machine: only the vetted answer can reach the server.
    const resolver = new ScriptedResolver({ 'pinned.localhost': [[v4('127.0.0.1')], [v4('10.9.9.9')]] });
    const url = `http://pinned.localhost:${server.port}/pinned.json`;
    const metadata = await service({}, resolver).resolve(tenant, url);
    expect(metadata['client_id']).toBe(url);
    expect(resolver.calls).toEqual(['pinned.localhost']);
  });

  describe('SSRF', () => {
    it.each([
      ['/redirect-loopback', /redirect to a forbidden address/],
      ['/redirect-loopback-http', /redirect to a non-https URL/],
      ['/redirect-private', /redirect to a forbidden address/],
      ['/redirect-metadata', /redirect to a forbidden address/],
      ['/redirect-http', /redirect to a non-https URL/],
    ])('refuses %s with invalid_client', async (path, message) => {
      const error = await refusal(service().resolve(tenant, `${server.base}${path}`));
      expect(error.error).toBe('invalid_client');
      expect(error.description).toMatch(message);
    });

    it('refuses plain http outside development, even on loopback', async () => {
      const error = await refusal(service({ allowLoopbackHttp: false }).resolve(tenant, `${server.base}/client.json`));
      expect(error).toMatchObject({ error: 'invalid_client', description: 'client_id URL must use https' });
    });

    it.each([
      ['loopback', [v4('127.0.0.1')]],
      ['private 10/8', [v4('10.1.2.3')]],
      ['private 172.16/12', [v4('172.20.0.1')]],
      ['private 192.168/16', [v4('192.168.0.10')]],
      ['cloud metadata', [v4('169.254.169.254')]],
      ['CGNAT', [v4('100.64.1.1')]],
      ['IPv6 loopback', [{ address: '::1', family: 6 as const }]],
      ['IPv6 unique local', [{ address: 'fd00::1', family: 6 as const }]],
      ['IPv4-mapped loopback', [{ address: '::ffff:127.0.0.1', family: 6 as const }]],
      ['a public and a private answer', [v4('93.184.216.34'), v4('10.0.0.1')]],
    ])('refuses an https host resolving to %s, before connecting', async (_label, answer) => {
      const resolver = new ScriptedResolver({ 'client.attacker.test': [answer] });
      const error = await refusal(service({ allowLoopbackHttp: false }, resolver).resolve(tenant, 'https://client.attacker.test/client.json'));
      expect(error).toMatchObject({ error: 'invalid_client', description: expect.stringMatching(/forbidden address/) });
    });

    it.each(['https://169.254.169.254/latest/meta-data', 'https://127.0.0.1/client.json', 'https://[::1]/client.json', 'https://10.0.0.1/c.json', 'https://0.0.0.0/c.json'])(
      'refuses the IP literal %s',
      async (url) => {
        const error = await refusal(service({ allowLoopbackHttp: false }).resolve(tenant, url));
        expect(error.error).toBe('invalid_client');
      },
    );

    it.each([
      ['https://example.com', /path component/],
      ['https://example.com/', /path component/],
      ['https://example.com/a/../client.json', /dot segments/],
      ['https://example.com/client.json#x', /fragment/],
      ['https://user:pw@example.com/client.json', /credentials/],
      ['ftp://example.com/client.json', /https/],
      ['http://example.com/client.json', /https/],
    ])('refuses the client_id URL %s', async (url, message) => {
      const error = await refusal(service().resolve(tenant, url));
      expect(error.error).toBe('invalid_client');
      expect(error.description).toMatch(message);
    });
  });

  describe('limits and content', () => {
    it('refuses a body over the size limit, streamed or declared', async () => {
      for (const path of ['/oversize', '/oversize-declared']) {
        const error = await refusal(service().resolve(tenant, `${server.base}${path}`));
        expect(error).toMatchObject({ error: 'invalid_client', description: expect.stringMatching(/larger than 5120 bytes/) });
      }
    });

    it('gives up on a server that does not answer in time', async () => {
      const error = await refusal(service({ timeoutMs: 300 }).resolve(tenant, `${server.base}/slow`));
      expect(error).toMatchObject({ error: 'invalid_client', description: expect.stringMatching(/no complete response/) });
    });

    it('refuses a non-200 answer', async () => {
      expect((await refusal(service().resolve(tenant, `${server.base}/status-500`))).error).toBe('invalid_client');
    });

    it.each([
      ['/wrong-id', /does not equal the document URL/],
      ['/not-json', /not valid JSON/],
      ['/array', /not a JSON object/],
      ['/secret', /client_secret/],
      ['/basic', /none or private_key_jwt/],
      ['/bad-redirect', /redirect_uris\[0\]/],
      ['/http-redirect-uri', /loopback/],
      ['/no-name', /client_name is required/],
      ['/implicit', /grant_types/],
    ])('refuses the document at %s with invalid_client_metadata', async (path, message) => {
      const error = await refusal(service().resolve(tenant, `${server.base}${path}`));
      expect(error.error).toBe('invalid_client_metadata');
      expect(error.description).toMatch(message);
    });

    it('caches nothing for a refused document', async () => {
      const { rows } = await db.pg.query(`SELECT 1 FROM oauth_clients WHERE tenant_id = $1 AND client_id LIKE '%/wrong-id'`, [tenant.id]);
      expect(rows).toHaveLength(0);
    });
  });

  describe('fetch budget per tenant', () => {
    it('refuses new documents past the per-minute budget, keeps serving ones fetched before, and leaves other tenants alone', async () => {
      const limited = await insertTenant(db.pg, 'cimd-budget');
      const other = await insertTenant(db.pg, 'cimd-budget-other');
      // Documents trusted for one second, so the first one is stale (in Postgres only) when asked again.
      const svc = service({ maxFetchesPerTenantPerMinute: 2, minCacheSeconds: 1, maxCacheSeconds: 1 });
      const url = (n: number) => `${server.base}/budget?n=${n}`;
      await svc.resolve(limited, url(1));
      await svc.resolve(limited, url(2));

      const error = await refusal(svc.resolve(limited, url(3)));
      expect(error.error).toBe('rate_limited');
      expect(server.hits.get('/budget')).toBe(2);
      await expect(svc.resolve(other, url(3))).resolves.toMatchObject({ client_id: url(3) });
      expect(server.hits.get('/budget')).toBe(3);

      await new Promise((resolve) => setTimeout(resolve, 1_200));
      await expect(svc.resolve(limited, url(1))).resolves.toMatchObject({ client_id: url(1) });
      expect(server.hits.get('/budget')).toBe(3);
    });

    it('refuses a new document while the tenant already has its maximum of fetches in flight', async () => {
      const limited = await insertTenant(db.pg, 'cimd-concurrency');
      const svc = service({ maxConcurrentFetchesPerTenant: 1 });
      const first = svc.resolve(limited, `${server.base}/held?n=1`);
      await expect.poll(() => heldReplies.length).toBe(1);

      const error = await refusal(svc.resolve(limited, `${server.base}/held?n=2`));
      expect(error.error).toBe('rate_limited');
      expect(server.hits.get('/held')).toBe(1);

      heldReplies.shift()?.();
      await first;
      const second = svc.resolve(limited, `${server.base}/held?n=2`);
      await expect.poll(() => heldReplies.length).toBe(1);
      heldReplies.shift()?.();
      await expect(second).resolves.toMatchObject({ client_id: `${server.base}/held?n=2` });
    });
  });
});
