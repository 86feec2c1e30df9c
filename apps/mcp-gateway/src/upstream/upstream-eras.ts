import type { Pool } from 'pg';
import type { Logger } from '@airlock/observability';
import type { UpstreamServerRecord } from '../tenants/tenant-catalog.js';
import { openUpstreamSecrets } from './upstream-credentials.js';
import type { CallerContext, UpstreamCredentials } from './upstream-credentials.js';
import { probeUpstreamEra } from './upstream-era-probe.js';
import type { ProbeVerdict } from './upstream-era-probe.js';

export interface UpstreamErasDeps {
  pg: Pool;
  credentials: UpstreamCredentials;
  masterKey: Buffer;
  logger: Logger;
  fetchImpl?: typeof fetch;
  /** How long a probe that showed nothing (upstream down, credentials refused) is not repeated. */
  retryUnknownMs?: number;
}

interface Known {
  /** The configuration the era was found for: an admin update changes `updatedAt`, so it no longer matches. */
  key: string;
  record: UpstreamServerRecord;
  /** Set for a probe that showed nothing: the record is the bridge default, tried again after this time. */
  until?: number;
}

const configKey = (server: UpstreamServerRecord) => `${server.updatedAt?.getTime() ?? 0}|${server.protocolEra ?? 'auto'}|${server.url ?? ''}`;

/**
 * The era each upstream speaks, so a 2026-07-28 server is reached natively and a session-based one through
 * the bridge. A pin (`protocol_era`) wins; otherwise what this gateway found, then what a gateway recorded
 * (`protocol_version`), then a `server/discover` probe, whose answer is recorded for the admin API and the
 * other replicas. An admin update clears the recorded era and changes `updated_at`, so it is detected again;
 * `forget` is for an upstream whose answers suggest it changed era on its own. Only http upstreams are
 * probed: a stdio upstream is always started and spoken to with the 2025-11-25 handshake.
 */
export class UpstreamEras {
  private readonly known = new Map<string, Known>();
  private readonly probes = new Map<string, Promise<UpstreamServerRecord>>();
  /** Servers whose recorded era proved wrong: ignored until a probe replaces it. */
  private readonly distrusted = new Set<string>();

  constructor(private readonly deps: UpstreamErasDeps) {}

  /** The record with `protocolVersion` set to the era to speak to it (or left null: the session-based default). */
  async resolve(server: UpstreamServerRecord, caller: CallerContext): Promise<UpstreamServerRecord> {
    if (server.transport !== 'http') return server;
    const key = configKey(server);
    const known = this.known.get(server.id);
    if (known && known.key === key && (known.until === undefined || Date.now() < known.until)) return known.record;
    const pin = server.protocolEra ?? 'auto';
    if (pin !== 'auto') return this.remember(server.id, key, { ...server, protocolVersion: pin });
    if (server.protocolVersion !== null && !this.distrusted.has(server.id)) return this.remember(server.id, key, server);
    const probeKey = `${server.id}|${key}`;
    let probe = this.probes.get(probeKey);
    if (!probe) {
      probe = this.detect(server, key, caller).finally(() => this.probes.delete(probeKey));
      this.probes.set(probeKey, probe);
    }
    return probe;
  }

  async resolveAll(servers: UpstreamServerRecord[], caller: CallerContext): Promise<UpstreamServerRecord[]> {
    return Promise.all(servers.map((server) => this.resolve(server, caller)));
  }

  /** The upstream did not answer as its era says it should: detect again on the next connect. */
  forget(server: UpstreamServerRecord): void {
    if (server.transport !== 'http' || (server.protocolEra ?? 'auto') !== 'auto') return;
    this.known.delete(server.id);
    this.distrusted.add(server.id);
  }

  private remember(id: string, key: string, record: UpstreamServerRecord, until?: number): UpstreamServerRecord {
    this.known.set(id, { key, record, ...(until !== undefined ? { until } : {}) });
    return record;
  }

  private async detect(server: UpstreamServerRecord, key: string, caller: CallerContext): Promise<UpstreamServerRecord> {
    const { logger } = this.deps;
    let verdict: ProbeVerdict;
    try {
      const headers = await this.deps.credentials.headers(server, openUpstreamSecrets(this.deps.masterKey, server), caller);
      verdict = await probeUpstreamEra(server.url!, headers, this.deps.fetchImpl);
    } catch (error) {
      logger.warn({ upstream: server.name, err: error }, 'upstream era probe could not run');
      verdict = { unknown: 'no credentials for the probe' };
    }
    if ('unknown' in verdict) {
      logger.warn({ upstream: server.name, reason: verdict.unknown }, 'upstream era unknown; using the session-based bridge for now');
      return this.remember(server.id, key, { ...server, protocolVersion: null }, Date.now() + (this.deps.retryUnknownMs ?? 30_000));
    }
    this.distrusted.delete(server.id);
    logger.info({ upstream: server.name, era: verdict.era }, 'upstream era detected');
    await this.record(server, verdict.era).catch((error: unknown) => logger.warn({ upstream: server.name, err: error }, 'could not record the detected upstream era'));
    return this.remember(server.id, key, { ...server, protocolVersion: verdict.era });
  }

  /** Records the era for the admin record and the other replicas, unless the server changed since it was read. */
  private async record(server: UpstreamServerRecord, era: string): Promise<void> {
    await this.deps.pg.query(
      `UPDATE upstream_servers SET protocol_version = $2, protocol_detected_at = now()
        WHERE id = $1 AND protocol_era = 'auto' AND ($3::timestamptz IS NULL OR updated_at = $3::timestamptz)`,
      [server.id, era, server.updatedAt ?? null],
    );
  }
}
