import { randomUUID } from 'node:crypto';
import { CATALOG_CHANGED_CHANNEL } from '@airlock/contracts';
import type { AuditEvent, CatalogChangedEvent } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import type { HotStore } from '@airlock/redis';
import type { TenantCatalog, UpstreamServerRecord } from './tenant-catalog.js';
import { gateTools, pendingNames } from './tool-definition.js';
import type { PinningPolicy, ToolPin, ToolSighting, ToolVersion } from './tool-definition.js';

/**
 * The gateway's side of pinned tool definitions. Every tools/list an upstream answers passes `gate`: tools
 * whose definition is not the approved one are withheld (or flagged), and definitions the catalogue does
 * not hold yet are recorded and audited, off the request path (nothing is written while a list is
 * unchanged). `version` is what tools/call asks (refused when withheld; the hash goes to its audit record). Sightings not yet written are kept in `overlay`, so a
 * call right after the list that withheld a tool is refused even before the write lands; once it lands,
 * every replica is told (CATALOG_CHANGED_CHANNEL) and reads the catalogue again.
 */
export class ToolPinning {
  private readonly overlay = new Map<string, Map<string, ToolPin>>();

  constructor(
    private readonly catalog: TenantCatalog,
    private readonly deps: { audit?: { record(event: AuditEvent): void }; hot?: HotStore; logger: Logger },
  ) {}

  /** The tools of one upstream's list a client may see (in flag mode: all, the unapproved ones marked). */
  async gate(tenant: string, server: UpstreamServerRecord, tools: ReadonlyArray<Record<string, unknown>>): Promise<Array<Record<string, unknown>>> {
    const [policy, pins] = await Promise.all([this.policy(tenant), this.pins(server.id)]);
    const gated = gateTools(tools, pins, policy);
    if (gated.sightings.length > 0) this.record(tenant, server, policy, gated.sightings);
    return gated.tools;
  }

  /**
   * The version of `tool` a tools/call reaches (for its audit record): the hash of the definition the
   * gateway last saw upstream, withheld when that definition awaits approval in withhold mode. Undefined
   * for a tool the catalogue has no pin for yet.
   */
  async version(tenant: string, server: UpstreamServerRecord, tool: string): Promise<ToolVersion | undefined> {
    const [policy, pins] = await Promise.all([this.policy(tenant), this.pins(server.id)]);
    const pin = pins.get(tool);
    const hash = pin?.seenHash ?? pin?.approvedHash;
    if (!pin || !hash) return undefined;
    return { hash, withheld: policy.mode === 'withhold' && pendingNames(new Map([[tool, pin]]), policy).has(tool) };
  }

  /** The version hash of a tool named by its server's name (refusals at the edge, before any server was resolved). */
  async hashOf(tenant: string, serverName: string, tool: string): Promise<string | undefined> {
    const record = await this.catalog.tenant(tenant);
    if (!record) return undefined;
    const server = (await this.catalog.upstreamServers(record.id)).find((candidate) => candidate.name === serverName);
    return server ? (await this.version(tenant, server, tool))?.hash : undefined;
  }

  private async policy(tenant: string): Promise<PinningPolicy> {
    return (await this.catalog.tenant(tenant))?.toolPinning ?? { mode: 'withhold', approveNewTools: false };
  }

  private async pins(serverId: string): Promise<ReadonlyMap<string, ToolPin>> {
    const stored = await this.catalog.toolPins(serverId);
    const pending = this.overlay.get(serverId);
    return pending ? new Map([...stored, ...pending]) : stored;
  }

  private record(tenant: string, server: UpstreamServerRecord, policy: PinningPolicy, sightings: ToolSighting[]): void {
    let pending = this.overlay.get(server.id);
    if (!pending) this.overlay.set(server.id, (pending = new Map()));
    for (const sighting of sightings) {
      pending.set(sighting.name, { approvedHash: sighting.kind === 'first_use' ? sighting.hash : sighting.approvedHash, seenHash: sighting.hash });
    }
    void this.write(tenant, server, policy, sightings)
      .catch((error: unknown) => this.deps.logger.warn({ err: error, server: server.name }, 'could not record tool definitions'))
      .finally(() => {
        // Written (or failed: the next list sees the difference again and retries): the catalogue is the truth again.
        this.catalog.forgetTools(server.id);
        const current = this.overlay.get(server.id);
        for (const sighting of sightings) if (current?.get(sighting.name)?.seenHash === sighting.hash) current.delete(sighting.name);
        if (current?.size === 0) this.overlay.delete(server.id);
      });
  }

  private async write(tenant: string, server: UpstreamServerRecord, policy: PinningPolicy, sightings: ToolSighting[]): Promise<void> {
    let announce = false;
    for (const sighting of sightings) {
      // Only the writer that changed the row audits: replicas seeing the same change record it once.
      if (!(await this.catalog.recordSighting(server, sighting))) continue;
      if (sighting.kind === 'first_use') continue;
      announce = true;
      if (sighting.kind === 'restored') continue;
      this.deps.audit?.record({
        id: randomUUID(),
        tenant,
        occurredAt: new Date().toISOString(),
        actor: {},
        action: 'tool.definition_changed',
        target: `${server.name}/${sighting.name}`,
        outcome: 'success',
        details: { server: server.name, tool: sighting.name, change: sighting.kind, toolHash: sighting.hash, approvedHash: sighting.approvedHash, policy: policy.mode },
      });
    }
    if (announce && this.deps.hot) {
      const event: CatalogChangedEvent = { tenant, server: server.name };
      await this.deps.hot.publish(CATALOG_CHANGED_CHANNEL, JSON.stringify(event));
    }
  }
}
