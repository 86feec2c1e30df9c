export { ALWAYS_REFUSED, canonicalAddress, classifyAddress, describeAddressClass, isForbiddenAddress, isLoopbackAddress } from './address-class.js';
export type { AddressClass } from './address-class.js';
export { HostResolver, SystemHostResolver } from './host-resolver.js';
export type { ResolvedAddress } from './host-resolver.js';
export { EgressPolicy, EgressRefusedError, defaultPort, egressRefusalOf, parseCidr, parseHostPort } from './egress-policy.js';
export type { EgressRefusalReason, EgressSettings } from './egress-policy.js';
export { egressAgent, egressConnector, egressFetch, pinnedAgent, pinnedLookup } from './guarded-connector.js';
