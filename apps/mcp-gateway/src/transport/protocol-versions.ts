/** Revisions the gateway serves, newest first. The first is what it offers to clients that ask for another. */
export const SUPPORTED_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26'] as const;
export const LATEST_PROTOCOL_VERSION = SUPPORTED_PROTOCOL_VERSIONS[0];

/** What a request without `MCP-Protocol-Version` is assumed to speak (2025-06-18 transport rules). */
export const DEFAULT_PROTOCOL_VERSION = '2025-03-26';

export const isSupportedProtocolVersion = (version: string): boolean => (SUPPORTED_PROTOCOL_VERSIONS as readonly string[]).includes(version);

/** JSON-RPC batching was removed in 2025-06-18. */
export const allowsBatches = (version: string): boolean => version < '2025-06-18';

/** Empty-data SSE priming events are understood from 2025-11-25 (SEP-1699). */
export const supportsPrimingEvents = (version: string): boolean => version >= '2025-11-25';

/** What to answer an initialize with: the client's revision when served, else the newest. */
export const negotiateProtocolVersion = (requested: unknown): string =>
  typeof requested === 'string' && isSupportedProtocolVersion(requested) ? requested : LATEST_PROTOCOL_VERSION;
