import type { LookupFunction } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';
import type { Dispatcher } from 'undici';
import type { EgressPolicy } from './egress-policy.js';
import type { ResolvedAddress } from './host-resolver.js';

/** A `lookup` that answers with the one address already vetted: what is checked is what is connected to. */
export function pinnedLookup(address: ResolvedAddress): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address: address.address, family: address.family }]);
    else callback(null, address.address, address.family);
  }) as unknown as LookupFunction;
}

/**
 * An undici connector that checks every connection against the policy at connect time: the host is
 * resolved here, every answer vetted, and the socket pinned to the vetted address (DNS rebinding gains
 * nothing). Each redirect hop to a new origin opens a new connection, so every hop is checked too.
 */
export function egressConnector(policy: EgressPolicy, options: buildConnector.BuildOptions = {}): buildConnector.connector {
  return (opts, callback) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    policy.vet(opts.hostname, port).then(
      (address) => buildConnector({ ...options, lookup: pinnedLookup(address) } as buildConnector.BuildOptions)(opts, callback),
      (error: Error) => callback(error, null),
    );
  };
}

/**
 * An Agent whose connections all go to one address the caller vetted (`EgressPolicy.vet`) for one
 * request: for callers that follow redirects themselves and vet each hop before connecting.
 */
export function pinnedAgent(address: ResolvedAddress, options: Omit<Agent.Options, 'connect'> & { connectTimeoutMs?: number } = {}): Agent {
  const { connectTimeoutMs, ...agentOptions } = options;
  return new Agent({ ...agentOptions, connect: { lookup: pinnedLookup(address), ...(connectTimeoutMs ? { timeout: connectTimeoutMs } : {}) } });
}

/** An undici Agent whose every connection goes through the policy. */
export function egressAgent(policy: EgressPolicy, options: Omit<Agent.Options, 'connect'> = {}): Agent {
  return new Agent({ ...options, connect: egressConnector(policy) });
}

/** `fetch` through an egress agent: refusals surface as `fetch failed` with the EgressRefusedError as cause. */
export function egressFetch(dispatcher: Dispatcher): typeof globalThis.fetch {
  return ((input: Parameters<typeof undiciFetch>[0], init?: Parameters<typeof undiciFetch>[1]) =>
    undiciFetch(input, { ...init, dispatcher })) as unknown as typeof globalThis.fetch;
}
