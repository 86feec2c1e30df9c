// Protocol revisions per era, and the rules that depend on a revision. Spelled once here.

/** The stateless revision: per-request `_meta`, no initialize, no sessions. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';
/** The newest session-based revision. */
export const LATEST_LEGACY_PROTOCOL_VERSION = '2025-11-25';

/** Session-based (Streamable HTTP) revisions the gateway serves, newest first; initialize negotiates among these. */
export const LEGACY_PROTOCOL_VERSIONS: readonly string[] = ['2025-11-25', '2025-06-18', '2025-03-26'];

/**
 * Every revision the endpoint serves, newest first (server/discover `supportedVersions`, the -32022 `supported` list).
 * No 2024-11-05: that revision speaks the old HTTP+SSE transport, which this Streamable HTTP endpoint does not serve.
 */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [MODERN_PROTOCOL_VERSION, ...LEGACY_PROTOCOL_VERSIONS];

/** What a session request without `MCP-Protocol-Version` is assumed to speak (2025-06-18 transport rules). */
export const DEFAULT_LEGACY_PROTOCOL_VERSION = '2025-03-26';

/** Modern revisions are dated 2026-07-28 or later; anything else dated is a legacy (handshake) revision. */
export function isModernRevision(version: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= MODERN_PROTOCOL_VERSION;
}

export const isSupportedLegacyVersion = (version: string): boolean => LEGACY_PROTOCOL_VERSIONS.includes(version);

/** What to answer an initialize with: the client's revision when served, else the newest session-based one. */
export const negotiateLegacyProtocolVersion = (requested: unknown): string =>
  typeof requested === 'string' && isSupportedLegacyVersion(requested) ? requested : LATEST_LEGACY_PROTOCOL_VERSION;

/** JSON-RPC batching was removed in 2025-06-18. */
export const allowsBatches = (version: string): boolean => version < '2025-06-18';

/** Empty-data SSE priming events are understood from 2025-11-25 (SEP-1699). */
export const supportsPrimingEvents = (version: string): boolean => version >= '2025-11-25';
