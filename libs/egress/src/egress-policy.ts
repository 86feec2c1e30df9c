import { BlockList, isIP } from 'node:net';
import { ALWAYS_REFUSED, canonicalAddress, classifyAddress, describeAddressClass } from './address-class.js';
import { HostResolver, SystemHostResolver } from './host-resolver.js';
import type { ResolvedAddress } from './host-resolver.js';

/** The operator's egress settings (config `egress`): what loopback/private targets are allowed, and Airlock's own endpoints. */
export interface EgressSettings {
  /** `host` or `host:port`: targets by name whose loopback/private addresses are allowed. */
  allowHosts: readonly string[];
  /** `10.0.0.0/8`, `fd00::/8`, or a bare address: loopback/private addresses allowed whatever the name. */
  allowCidrs: readonly string[];
  /** `host:port` of Airlock's own services (session store, auth server, gateway, Postgres, Redis): never a target. */
  ownServices: readonly string[];
}

export type EgressRefusalReason = 'bad_url' | 'dns' | 'own_service' | 'address_class';

/** A target the policy refuses. The message names the host and why, never a credential. */
export class EgressRefusedError extends Error {
  readonly code = 'egress_refused';
  constructor(
    readonly reason: EgressRefusalReason,
    message: string,
  ) {
    super(message);
    this.name = 'EgressRefusedError';
  }
}

/** The refusal behind an error, however deep undici or fetch wrapped it. */
export function egressRefusalOf(error: unknown): EgressRefusedError | undefined {
  for (let current = error, depth = 0; current && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    if (current instanceof EgressRefusedError) return current;
  }
  return undefined;
}

interface HostPort {
  host: string;
  port: number | undefined;
}

const bareHost = (host: string) => host.replace(/^\[|\]$/g, '').toLowerCase();

/** `host`, `host:port`, `[v6]`, `[v6]:port`. */
export function parseHostPort(entry: string): HostPort {
  const trimmed = entry.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(trimmed);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : undefined };
  if (isIP(trimmed) === 6) return { host: trimmed, port: undefined };
  const withPort = /^([^:]+):(\d{1,5})$/.exec(trimmed);
  if (withPort) return { host: withPort[1]!, port: Number(withPort[2]) };
  return { host: trimmed, port: undefined };
}

/** `a.b.c.d/n`, `v6/n` or a bare address; undefined when malformed. */
export function parseCidr(entry: string): { network: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [network = '', prefixText, extra] = entry.trim().split('/');
  if (extra !== undefined) return undefined;
  const family = isIP(network);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  return { network, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

export function defaultPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}

/**
 * Where Airlock may open outbound connections on behalf of a tenant's configuration (upstream MCP
 * servers, their token endpoints). Checked when the URL is registered and again on every resolved
 * address at connect time (the guarded connector), so a DNS answer that changes later gains nothing.
 */
export class EgressPolicy {
  private readonly allowHosts: HostPort[];
  private readonly allowCidrs = new BlockList();
  private readonly ownByName: HostPort[];
  private ownAddresses: Promise<Set<string>> | undefined;

  constructor(
    private readonly settings: EgressSettings,
    readonly resolver: HostResolver = new SystemHostResolver(),
  ) {
    this.allowHosts = settings.allowHosts.map(parseHostPort);
    for (const entry of settings.allowCidrs) {
      const cidr = parseCidr(entry);
      if (!cidr) throw new Error(`egress allow-list: ${entry} is not a CIDR`);
      this.allowCidrs.addSubnet(cidr.network, cidr.prefix, cidr.family);
    }
    this.ownByName = settings.ownServices.map(parseHostPort);
  }

  /**
   * Vets a URL now (registration): its name, then every address its host resolves to. A name that does
   * not resolve here passes: the gateway may see other DNS than the auth server, and it checks again on
   * every connection, where an unresolvable name is refused.
   */
  async checkUrl(raw: string): Promise<void> {
    const url = URL.parse(raw);
    if (!url || !/^https?:$/.test(url.protocol)) throw new EgressRefusedError('bad_url', 'not an http(s) URL');
    try {
      await this.vet(url.hostname, defaultPort(url));
    } catch (error) {
      if (!(error instanceof EgressRefusedError && error.reason === 'dns')) throw error;
    }
  }

  /**
   * Resolves `host` and checks every answer (an attacker's DNS can mix a public and a private address);
   * returns the address to connect to.
   */
  async vet(host: string, port: number): Promise<ResolvedAddress> {
    const name = bareHost(host);
    if (this.ownByName.some((own) => own.host === name && own.port === port)) {
      throw new EgressRefusedError('own_service', `${name}:${port} is one of Airlock's own services`);
    }
    const addresses = await this.resolve(name);
    for (const { address } of addresses) await this.checkAddress(name, port, address);
    return addresses[0]!;
  }

  async resolve(host: string): Promise<ResolvedAddress[]> {
    const name = bareHost(host);
    const literal = isIP(name);
    if (literal) return [{ address: name, family: literal === 6 ? 6 : 4 }];
    let addresses: ResolvedAddress[];
    try {
      addresses = await this.resolver.resolve(name);
    } catch {
      throw new EgressRefusedError('dns', `${name} does not resolve`);
    }
    if (addresses.length === 0) throw new EgressRefusedError('dns', `${name} does not resolve`);
    return addresses;
  }

  /** One resolved address of a connection to `host:port`. */
  async checkAddress(host: string, port: number, address: string): Promise<void> {
    const name = bareHost(host);
    const canonical = canonicalAddress(address);
    const kind = classifyAddress(address);
    const at = name === canonical?.address ? name : `${name} (${address})`;
    if (canonical && (await this.ownAddressSet()).has(`${canonical.address}|${port}`)) {
      throw new EgressRefusedError('own_service', `${at}:${port} is one of Airlock's own services`);
    }
    if (kind === 'public') return;
    if (ALWAYS_REFUSED.has(kind) || !canonical) {
      throw new EgressRefusedError('address_class', `${at} is ${describeAddressClass(kind)}, never allowed`);
    }
    const byName = this.allowHosts.some((allowed) => allowed.host === name && (allowed.port === undefined || allowed.port === port));
    if (byName || this.allowCidrs.check(canonical.address, canonical.family)) return;
    throw new EgressRefusedError(
      'address_class',
      `${at} is ${describeAddressClass(kind)}, not in AIRLOCK_UPSTREAM_ALLOW_CIDRS or AIRLOCK_UPSTREAM_ALLOW_HOSTS`,
    );
  }

  /**
   * `address|port` of every own service, resolved once. A service listening on the unspecified address
   * answers on every local address: its port on any loopback address counts as well.
   */
  private ownAddressSet(): Promise<Set<string>> {
    this.ownAddresses ??= (async () => {
      const set = new Set<string>();
      for (const own of this.ownByName) {
        if (own.port === undefined) continue;
        const kind = classifyAddress(own.host);
        const hosts = kind === 'unspecified' || own.host === 'localhost' ? ['127.0.0.1', '::1', own.host] : [own.host];
        for (const host of hosts) {
          const addresses = isIP(host) ? [{ address: host }] : await this.resolver.resolve(host).catch(() => []);
          for (const { address } of addresses) {
            const canonical = canonicalAddress(address);
            if (canonical) set.add(`${canonical.address}|${own.port}`);
          }
        }
      }
      return set;
    })();
    return this.ownAddresses;
  }
}
