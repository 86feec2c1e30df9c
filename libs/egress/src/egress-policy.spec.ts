import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { EgressPolicy, EgressRefusedError, egressRefusalOf, parseCidr, parseHostPort } from './egress-policy.js';
import { egressAgent, egressFetch } from './guarded-connector.js';
import { HostResolver } from './host-resolver.js';
import type { ResolvedAddress } from './host-resolver.js';

class MapResolver extends HostResolver {
  constructor(readonly answers: Map<string, string[]>) {
    super();
  }
  override async resolve(hostname: string): Promise<ResolvedAddress[]> {
    const addresses = this.answers.get(hostname);
    if (!addresses) throw new Error('NXDOMAIN');
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  }
}

const policy = (settings: Partial<{ allowHosts: string[]; allowCidrs: string[]; ownServices: string[] }>, answers: Record<string, string[]> = {}) =>
  new EgressPolicy({ allowHosts: [], allowCidrs: [], ownServices: [], ...settings }, new MapResolver(new Map(Object.entries(answers))));

async function refusal(promise: Promise<unknown>): Promise<EgressRefusedError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EgressRefusedError);
  return error as EgressRefusedError;
}

describe('EgressPolicy', () => {
  it('allows public addresses and refuses loopback, private and CGNAT ones by default', async () => {
    const p = policy({});
    await expect(p.checkUrl('https://93.184.216.34/mcp')).resolves.toBeUndefined();
    for (const url of ['http://127.0.0.1/', 'http://[::1]/', 'http://10.0.0.1/', 'http://192.168.1.1/', 'http://172.16.0.1/', 'http://100.64.0.1/', 'http://[fd12::1]/']) {
      expect((await refusal(p.checkUrl(url))).reason, url).toBe('address_class');
    }
  });

  it('refuses metadata, link-local, unspecified and multicast addresses whatever the allow-list', async () => {
    const p = policy({ allowCidrs: ['0.0.0.0/0', '::/0'], allowHosts: ['meta.internal'] }, { 'meta.internal': ['169.254.169.254'] });
    for (const url of ['http://169.254.169.254/', 'http://meta.internal/', 'http://[fe80::1]/', 'http://[fd00:ec2::254]/', 'http://100.100.100.200/', 'http://0.0.0.0/', 'http://[::]/', 'http://224.0.0.1/', 'http://255.255.255.255/', 'http://[::ffff:169.254.169.254]/']) {
      expect((await refusal(p.checkUrl(url))).message, url).toMatch(/never allowed/);
    }
  });

  it('allows loopback/private addresses inside an allowed CIDR only', async () => {
    const p = policy({ allowCidrs: ['10.0.0.0/8', '192.168.1.0/24', '::1'] });
    await expect(p.checkUrl('http://10.20.30.40/')).resolves.toBeUndefined();
    await expect(p.checkUrl('http://192.168.1.7:8443/')).resolves.toBeUndefined();
    await expect(p.checkUrl('http://[::1]:9000/')).resolves.toBeUndefined();
    await refusal(p.checkUrl('http://192.168.2.7/'));
    await refusal(p.checkUrl('http://127.0.0.1/'));
  });

  it('allows by host name, with or without a port, on the resolved address', async () => {
    const p = policy({ allowHosts: ['mcp.internal:8443', 'notes.corp'] }, { 'mcp.internal': ['10.1.1.1'], 'notes.corp': ['192.168.5.5'], 'other.corp': ['10.1.1.1'] });
    await expect(p.checkUrl('https://mcp.internal:8443/mcp')).resolves.toBeUndefined();
    await refusal(p.checkUrl('https://mcp.internal/mcp')); // port 443, not 8443
    await expect(p.checkUrl('http://notes.corp/')).resolves.toBeUndefined();
    await expect(p.checkUrl('https://notes.corp:9999/')).resolves.toBeUndefined();
    await refusal(p.checkUrl('http://other.corp/'));
  });

  it('refuses when any answer of a name is refused (mixed public and private answers)', async () => {
    const p = policy({}, { 'mixed.example': ['93.184.216.34', '10.0.0.1'] });
    await refusal(p.vet('mixed.example', 443));
  });

  it("refuses Airlock's own services by name and by resolved address, even when allow-listed", async () => {
    const p = policy(
      { ownServices: ['127.0.0.1:3002', 'localhost:3000', '0.0.0.0:3001', 'db.internal:5432'], allowCidrs: ['127.0.0.0/8', '10.0.0.0/8'] },
      { localhost: ['127.0.0.1', '::1'], 'db.internal': ['10.9.9.9'], 'alias.internal': ['10.9.9.9'] },
    );
    for (const url of ['http://127.0.0.1:3002/', 'http://localhost:3000/', 'http://127.0.0.1:3000/', 'http://[::1]:3000/', 'http://127.0.0.1:3001/', 'http://alias.internal:5432/']) {
      expect((await refusal(p.checkUrl(url))).reason, url).toBe('own_service');
    }
    await expect(p.checkUrl('http://127.0.0.1:3003/')).resolves.toBeUndefined();
  });

  it('lets registration pass a name it cannot resolve, but never a connection to it', async () => {
    const p = policy({});
    await expect(p.checkUrl('https://gh.example/mcp')).resolves.toBeUndefined();
    expect((await refusal(p.vet('gh.example', 443))).reason).toBe('dns');
  });

  it('parses allow-list entries', () => {
    expect(parseHostPort('MCP.internal:8443')).toEqual({ host: 'mcp.internal', port: 8443 });
    expect(parseHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseHostPort('notes.corp')).toEqual({ host: 'notes.corp', port: undefined });
    expect(parseCidr('10.0.0.0/8')).toEqual({ network: '10.0.0.0', prefix: 8, family: 'ipv4' });
    expect(parseCidr('10.0.0.1')).toEqual({ network: '10.0.0.1', prefix: 32, family: 'ipv4' });
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('nope/8')).toBeUndefined();
  });
});

describe('egress connector (connect time)', () => {
  async function listening(handler: Parameters<typeof createServer>[1]) {
    const server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  it('checks the address a name resolves to when connecting, so a changed DNS answer is caught', async () => {
    const target = await listening((_req, res) => res.end('inside'));
    const answers = new Map([['rebind.test', ['127.0.0.1']]]);
    const p = new EgressPolicy({ allowHosts: [`rebind.test:${target.port}`], allowCidrs: [], ownServices: [] }, new MapResolver(answers));
    const agent = egressAgent(p);
    const fetch = egressFetch(agent);
    try {
      expect(await (await fetch(`http://rebind.test:${target.port}/`)).text()).toBe('inside');
      // The name now answers the metadata address; a new connection is checked again.
      answers.set('rebind.test', ['169.254.169.254']);
      await agent.close();
      const fresh = egressFetch(egressAgent(p));
      const error = await fresh(`http://rebind.test:${target.port}/`).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(egressRefusalOf(error)?.message).toMatch(/169\.254\.169\.254\) is a link-local/);
    } finally {
      await target.close();
    }
  });

  it('checks every redirect hop and never reaches a refused one', async () => {
    let reached = 0;
    const inside = await listening((_req, res) => {
      reached++;
      res.end('secret');
    });
    const redirector = await listening((_req, res) => res.writeHead(307, { location: `http://127.0.0.1:${inside.port}/` }).end());
    const p = new EgressPolicy({ allowHosts: [`127.0.0.1:${redirector.port}`], allowCidrs: [], ownServices: [] }, new MapResolver(new Map()));
    const fetch = egressFetch(egressAgent(p));
    try {
      const error = await fetch(`http://127.0.0.1:${redirector.port}/`, { method: 'POST', body: 'client_secret=x' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(egressRefusalOf(error)?.reason).toBe('address_class');
      expect(reached).toBe(0);
    } finally {
      await inside.close();
      await redirector.close();
    }
  });
});
