import { isModernRevision } from '@airlock/mcp-protocol';
import type { UpstreamServerRecord } from '../tenants/tenant-catalog.js';

// Below sessions/ and the upstream-facing era adapters (to-2025/, to-2026/): a session holds connections, to-2026/ provides one kind of them.

/** What a downstream session needs of one upstream, whichever revision the upstream speaks. */
export interface UpstreamConnection {
  readonly server: UpstreamServerRecord;
  readonly client: { getInstructions(): string | undefined; getServerVersion(): { name: string; version: string } | undefined };
  request(
    method: string,
    params: Record<string, unknown> | undefined,
    options?: { signal?: AbortSignal; onprogress?: (progress: { progress: number; total?: number; message?: string }) => void },
  ): Promise<Record<string, unknown>>;
  notify(method: string, params?: Record<string, unknown>): Promise<void>;
  capabilities(): Record<string, unknown>;
  close(): Promise<void>;
}

/** An upstream speaks 2026-07-28 when its record says so (`upstream_servers.protocol_version`). */
export function isUpstream2026(server: UpstreamServerRecord): boolean {
  return server.transport === 'http' && server.protocolVersion !== null && isModernRevision(server.protocolVersion);
}
