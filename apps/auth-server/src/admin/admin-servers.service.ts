import { Inject, Injectable } from '@nestjs/common';
import type { CreateUpstreamServerRequest, PendingToolChange, PutToolsRequest, UpdateUpstreamServerRequest, UpstreamTestResult } from '@airlock/contracts';
import { toolDefinitionDifferences, upstreamSecretContext } from '@airlock/contracts';
import { sealSecret } from '@airlock/platform';
import { MASTER_KEY } from '../infra/infra.tokens.js';
import { DatabaseResourceCatalog } from '../oidc/resource-catalog.service.js';
import type { AuditTrail } from './admin-audit-trail.js';
import { AdminError, notFound } from './admin.errors.js';
import type { Page } from './admin-paging.js';
import { AdminServersRepository, type ToolView, type UpstreamServerView } from './admin-servers.repository.js';
import { ManagedTenants } from './managed-tenants.service.js';
import { UpstreamAddressCheck } from './upstream-address-check.js';
import { UpstreamTestRequester } from './upstream-test.requester.js';

/** A server's audit snapshot: its settings, never its credentials (only whether it has some). */
const snapshot = (server: UpstreamServerView | undefined) =>
  server && {
    name: server.name,
    transport: server.transport,
    url: server.url,
    command: server.command,
    args: server.args,
    credentialKind: server.credentialKind,
    hasSecrets: server.hasSecrets,
    enabled: server.enabled,
    sandbox: server.sandbox,
    readOnlyPaths: server.readOnlyPaths,
    protocolEra: server.protocolEra,
  };

/**
 * Upstream MCP servers and their tool catalogue (per-tool scopes, enabled or not). Every change tells the
 * resource catalog, which has every gateway replica drop what it cached for the server.
 */
@Injectable()
export class AdminServersService {
  constructor(
    @Inject(MASTER_KEY) private readonly masterKey: Buffer,
    private readonly repository: AdminServersRepository,
    private readonly managed: ManagedTenants,
    private readonly catalog: DatabaseResourceCatalog,
    private readonly upstreamAddresses: UpstreamAddressCheck,
    private readonly tester: UpstreamTestRequester,
  ) {}

  async list(slug: string, limit: number, cursor: string | undefined): Promise<Page<UpstreamServerView>> {
    return this.repository.list((await this.managed.get(slug)).id, limit, cursor);
  }

  async get(slug: string, name: string): Promise<UpstreamServerView & { tools: ToolView[] }> {
    const server = await this.repository.find((await this.managed.get(slug)).id, name);
    if (!server) throw notFound('server');
    return { ...server, tools: await this.repository.listTools(server.id) };
  }

  /** Asks a gateway replica to connect to the saved server, initialize and list its tools (see UpstreamTestRequester). */
  async test(slug: string, name: string, trail: AuditTrail): Promise<UpstreamTestResult> {
    const tenant = await this.managed.get(slug);
    trail.target = name;
    if (!(await this.repository.find(tenant.id, name))) throw notFound('server');
    const result = await this.tester.test(tenant.slug, name);
    Object.assign(trail.details, { ok: result.ok, stage: result.stage, totalMs: result.timings.totalMs, ...(result.error ? { error: result.error.code } : {}) });
    return result;
  }

  async create(slug: string, input: CreateUpstreamServerRequest, trail: AuditTrail): Promise<UpstreamServerView> {
    const tenant = await this.managed.get(slug);
    trail.target = input.name;
    await this.upstreamAddresses.check(input);
    const created = await this.repository.create(tenant.id, {
      name: input.name,
      transport: input.transport,
      url: input.url ?? null,
      command: input.command ?? null,
      args: input.args ?? [],
      credentialKind: input.credentialKind ?? 'none',
      secretsEncrypted: input.secrets ? sealSecret(this.masterKey, JSON.stringify(input.secrets), upstreamSecretContext(tenant.id, input.name)) : null,
      enabled: input.enabled ?? true,
      sandbox: input.sandbox ?? true,
      readOnlyPaths: input.readOnlyPaths ?? [],
      protocolEra: input.protocolEra ?? 'auto',
    });
    if (!created) throw new AdminError('conflict', `a server ${input.name} already exists`);
    await this.catalog.catalogChanged(slug, input.name);
    trail.change(undefined, snapshot(created));
    return created;
  }

  async update(slug: string, name: string, patch: UpdateUpstreamServerRequest, trail: AuditTrail): Promise<UpstreamServerView> {
    const tenant = await this.managed.get(slug);
    await this.upstreamAddresses.check(patch);
    const before = await this.repository.find(tenant.id, name);
    const secretsEncrypted =
      patch.secrets === undefined ? undefined : patch.secrets === null ? null : sealSecret(this.masterKey, JSON.stringify(patch.secrets), upstreamSecretContext(tenant.id, name));
    const updated = await this.repository.update(tenant.id, name, { ...patch, secretsEncrypted });
    if (!updated) throw notFound('server');
    await this.catalog.catalogChanged(slug, name);
    trail.details['changed'] = Object.keys(patch);
    trail.change(snapshot(before), snapshot(updated));
    return updated;
  }

  async delete(slug: string, name: string, trail: AuditTrail): Promise<void> {
    const tenant = await this.managed.get(slug);
    const before = await this.repository.find(tenant.id, name);
    if (!before || !(await this.repository.delete(tenant.id, name))) throw notFound('server');
    await this.catalog.catalogChanged(slug, name);
    trail.change(snapshot(before), undefined);
  }

  async putTools(slug: string, name: string, input: PutToolsRequest, trail: AuditTrail): Promise<ToolView[]> {
    const tenant = await this.managed.get(slug);
    const server = await this.repository.find(tenant.id, name);
    if (!server) throw notFound('server');
    const names = new Set(input.tools.map((tool) => tool.name));
    if (names.size !== input.tools.length) throw new AdminError('invalid_request', 'tool names must be unique');
    const before = await this.repository.listTools(server.id);
    await this.repository.replaceTools(tenant.id, server.id, input.tools);
    await this.catalog.catalogChanged(slug, name);
    const after = await this.repository.listTools(server.id);
    trail.details['tools'] = after.length;
    trail.change(before, after);
    return after;
  }

  /** Pinned tool definitions: the server's tools whose definition awaits approval, each with its field-level diff. */
  async toolChanges(slug: string, name: string): Promise<Array<Omit<PendingToolChange, 'approvedAt' | 'seenAt'> & { approvedAt: Date | null; seenAt: Date | null }>> {
    const tenant = await this.managed.get(slug);
    const server = await this.repository.find(tenant.id, name);
    if (!server) throw notFound('server');
    return (await this.repository.pendingTools(server.id)).map((row) => ({
      ...row,
      change: row.approvedHash === null ? 'new' : 'changed',
      differences: toolDefinitionDifferences(row.approvedDefinition, row.seenDefinition),
    }));
  }

  /**
   * Approves the definition of a tool a gateway last saw, when `hash` is still that definition's (409
   * otherwise: it changed again since the admin looked). Every gateway replica is told, and serves it at once.
   */
  async approveTool(slug: string, name: string, tool: string, hash: string, trail: AuditTrail): Promise<ToolView> {
    const tenant = await this.managed.get(slug);
    const server = await this.repository.find(tenant.id, name);
    if (!server) throw notFound('server');
    trail.target = `${name}/${tool}`;
    const before = (await this.repository.pendingTools(server.id)).find((row) => row.name === tool);
    const approved = await this.repository.approveTool(server.id, tool, hash);
    if (!approved) {
      if (!(await this.repository.findTool(server.id, tool))) throw notFound('tool');
      throw new AdminError('conflict', 'the tool definition is no longer the one with this hash; list the tool changes again');
    }
    await this.catalog.catalogChanged(slug, name);
    Object.assign(trail.details, { server: name, tool, toolHash: hash, previousHash: before?.approvedHash ?? approved.approvedHash });
    if (before) trail.change(before.approvedDefinition, before.seenDefinition);
    return approved;
  }

  /** Sets a tool's required scopes and/or whether the gateway offers it. */
  async updateTool(slug: string, name: string, tool: string, patch: { requiredScopes?: string[] | undefined; enabled?: boolean | undefined }, trail: AuditTrail): Promise<ToolView> {
    const tenant = await this.managed.get(slug);
    const server = await this.repository.find(tenant.id, name);
    if (!server) throw notFound('server');
    const before = await this.repository.findTool(server.id, tool);
    const updated = await this.repository.updateTool(server.id, tool, patch);
    if (!before || !updated) throw notFound('tool');
    await this.catalog.catalogChanged(slug, name);
    trail.change(before, updated);
    return updated;
  }
}
