import { request } from 'undici';
import { defaultPort, EgressPolicy, EgressRefusedError, HostResolver, pinnedAgent } from '@airlock/egress';
import type { ResolvedAddress } from '@airlock/egress';
import { isLoopbackHostname } from '../registration-policy/redirect-uri-rules.js';

// Address classification, vetting, pinning and the DNS seam live in @airlock/egress, shared with the
// upstream address policy; this fetcher adds the CIMD rules (https only, redirects followed by hand).
export { HostResolver, SystemHostResolver } from '@airlock/egress';
export type { ResolvedAddress } from '@airlock/egress';

export interface SafeFetchOptions {
  maxBytes: number;
  /** Deadline for the whole fetch, redirects included. */
  timeoutMs: number;
  maxRedirects: number;
  /**
   * Development and tests: the *initial* URL may be plain http on a loopback host and reach a loopback
   * address. Redirect targets never get this exception.
   */
  allowLoopbackHttp: boolean;
}

export type SafeFetchFailure =
  | 'bad_url'
  | 'scheme'
  | 'forbidden_address'
  | 'dns'
  | 'network'
  | 'timeout'
  | 'too_large'
  | 'too_many_redirects'
  | 'status';

export class SafeFetchError extends Error {
  constructor(
    readonly reason: SafeFetchFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SafeFetchError';
  }
}

export interface SafeFetchResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GET of an attacker-chosen URL without letting it reach inside the network: https only, every hop's
 * host resolved here and each address checked, then the socket pinned to the vetted address (a custom
 * `lookup`), so a DNS answer that changes between check and connect (rebinding) is never used.
 */
export class SafeFetcher {
  /** Only public addresses: no allow-list (a client id URL is anyone's choice). */
  private readonly strict: EgressPolicy;
  /** Development and tests: the initial hop may also reach the loopback. */
  private readonly loopback: EgressPolicy;

  constructor(
    resolver: HostResolver,
    private readonly options: SafeFetchOptions,
  ) {
    this.strict = new EgressPolicy({ allowHosts: [], allowCidrs: [], ownServices: [] }, resolver);
    this.loopback = new EgressPolicy({ allowHosts: [], allowCidrs: ['127.0.0.0/8', '::1/128'], ownServices: [] }, resolver);
  }

  async get(url: string, headers: Record<string, string>): Promise<SafeFetchResult> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let current = url;
    for (let hop = 0; hop <= this.options.maxRedirects; hop++) {
      const target = await this.vet(current, hop);
      const response = await this.fetchPinned(target.url, target.address, headers, signal);
      if (REDIRECTS.has(response.status)) {
        const location = response.headers['location'];
        const next = typeof location === 'string' ? URL.parse(location, target.url.href) : null;
        if (!next) throw new SafeFetchError('status', `redirect without a usable Location (status ${response.status})`);
        current = next.href;
        continue;
      }
      return response;
    }
    throw new SafeFetchError('too_many_redirects', `more than ${this.options.maxRedirects} redirects`);
  }

  private async vet(raw: string, hop: number): Promise<{ url: URL; address: ResolvedAddress }> {
    const url = URL.parse(raw);
    if (!url) throw new SafeFetchError('bad_url', 'not a URL');
    if (url.username || url.password) throw new SafeFetchError('bad_url', 'URL must not contain credentials');
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const loopbackException = this.options.allowLoopbackHttp && hop === 0 && url.protocol === 'http:' && isLoopbackHostname(hostname);
    if (url.protocol !== 'https:' && !loopbackException) {
      throw new SafeFetchError('scheme', hop === 0 ? 'URL must use https' : 'redirect to a non-https URL refused');
    }

    // Every answer must be acceptable: an attacker's DNS can mix a public and a private address.
    try {
      return { url, address: await (loopbackException ? this.loopback : this.strict).vet(hostname, defaultPort(url)) };
    } catch (error) {
      if (!(error instanceof EgressRefusedError)) throw error;
      if (error.reason === 'dns') throw new SafeFetchError('dns', 'host name does not resolve');
      throw new SafeFetchError('forbidden_address', hop === 0 ? 'host resolves to a forbidden address' : 'redirect to a forbidden address refused');
    }
  }

  private async fetchPinned(url: URL, address: ResolvedAddress, headers: Record<string, string>, signal: AbortSignal): Promise<SafeFetchResult> {
    const agent = pinnedAgent(address, {
      connectTimeoutMs: this.options.timeoutMs,
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      pipelining: 0,
    });
    try {
      const response = await request(url, { method: 'GET', headers, dispatcher: agent, signal });
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > this.options.maxBytes) {
        response.body.destroy();
        throw new SafeFetchError('too_large', `response larger than ${this.options.maxBytes} bytes`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body) {
        const buffer = chunk as Buffer;
        size += buffer.length;
        if (size > this.options.maxBytes) {
          response.body.destroy();
          throw new SafeFetchError('too_large', `response larger than ${this.options.maxBytes} bytes`);
        }
        chunks.push(buffer);
      }
      return { status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) };
    } catch (error) {
      if (error instanceof SafeFetchError) throw error;
      if (signal.aborted) throw new SafeFetchError('timeout', `no complete response within ${this.options.timeoutMs} ms`);
      const code = (error as { code?: string }).code ?? '';
      if (/TIMEOUT/.test(code)) throw new SafeFetchError('timeout', `no complete response within ${this.options.timeoutMs} ms`);
      throw new SafeFetchError('network', 'could not fetch the document');
    } finally {
      agent.destroy().catch(() => undefined);
    }
  }
}
