import { Agent } from 'undici';
import type { buildConnector } from 'undici';
import { EgressPolicy, egressConnector, egressFetch, egressRefusalOf } from '@airlock/egress';
import type { EgressSettings, HostResolver } from '@airlock/egress';

/**
 * How the gateway reaches tenants' http upstreams and their token endpoints: every connection (redirect
 * hops included) is checked against the operator's address policy on the address it actually resolves to.
 */
export interface UpstreamEgress {
  /** For the upstreams' connection pools (the relay). */
  connect: buildConnector.connector;
  /** For the SDK transport, the stateless path and client-credentials token requests. */
  fetch: typeof globalThis.fetch;
}

export function createUpstreamEgress(settings: EgressSettings, resolver?: HostResolver): UpstreamEgress {
  const policy = new EgressPolicy(settings, resolver);
  const connect = egressConnector(policy);
  return { connect, fetch: egressFetch(new Agent({ connect })) };
}

/** What a client may be told about a refused upstream: that the policy refused it, not where it pointed. */
export function egressRefusalMessage(error: unknown): string | undefined {
  return egressRefusalOf(error) ? "the upstream's address is not allowed by the gateway's egress policy" : undefined;
}

/** Log fields for an upstream failure: a policy refusal by its reason (no stack), anything else as the error. */
export function upstreamFailureFields(error: unknown): { reason: string; egress: 'refused' } | { err: unknown } {
  const refusal = egressRefusalOf(error);
  return refusal ? { reason: refusal.message, egress: 'refused' } : { err: error };
}
