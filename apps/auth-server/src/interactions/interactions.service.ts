import { Injectable } from '@nestjs/common';
import type { Grant, Interaction } from 'oidc-provider';
import { parseScope } from '@airlock/contracts';
import { ResourceCatalog } from '../oidc/resource-catalog.js';
import type { TenantProvider } from '../oidc/tenant-providers.js';
import { UsersService } from '../users/users.service.js';
import { ClientDirectory, redirectHost } from './client-directory.js';
import { ConsentRepository } from './consent.repository.js';
import type { ConsentRow } from './consent.repository.js';
import { describeScope } from './scope-text.js';
import { ToolCatalogRepository } from './tool-catalog.repository.js';
import type { ConsentView } from './interaction-views.js';
import { IdJagAudit } from '../id-jag/id-jag-audit.js';
import { PreApprovalPolicy } from '../id-jag/pre-approval-policy.js';

/** What approving this consent prompt grants. */
export interface ConsentPlan {
  accountId: string;
  clientId: string;
  resource: string;
  resourceScopes: string[];
  oidcScopes: string[];
  oidcClaims: string[];
}

const MAX_TOOLS_SHOWN = 25;

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function firstString(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

@Injectable()
export class InteractionsService {
  constructor(
    private readonly users: UsersService,
    private readonly consents: ConsentRepository,
    private readonly tools: ToolCatalogRepository,
    private readonly clients: ClientDirectory,
    private readonly catalog: ResourceCatalog,
    private readonly preApprovals: PreApprovalPolicy,
    private readonly audit: IdJagAudit,
  ) {}

  /**
   * An admin pre-approved this client for everything the prompt asks: approves without a screen (the
   * grant and consent are recorded as usual) and audits the tools it unlocks. The grant id, or undefined.
   */
  async approveIfPreApproved(tp: TenantProvider, interaction: Interaction, plan: ConsentPlan): Promise<string | undefined> {
    const asked = [...plan.resourceScopes, ...plan.oidcScopes.filter((s) => s !== 'openid')];
    if (!(await this.preApprovals.covers(tp.tenant, plan.clientId, asked))) return undefined;
    const grantId = await this.approve(tp, interaction, plan);
    const description = await this.catalog.describe(tp.tenant, plan.resource);
    const mcp = description && (description.kind === 'mcp-aggregated' || description.kind === 'mcp-server');
    const tools = mcp ? await this.tools.unlockedBy(tp.tenant.id, new Set(plan.resourceScopes), description.kind === 'mcp-server' ? description.serverName : undefined) : [];
    this.audit.preApproved(tp.tenant, { accountId: plan.accountId, clientId: plan.clientId, resource: plan.resource, scopes: asked, grantId, tools: tools.map((t) => `${t.server}/${t.name}`) });
    return grantId;
  }

  /**
   * Reads oidc-provider's consent prompt. A request without `scope` gets the resource's default scopes
   * (the MCP spec lets clients omit it); auth-core's provider defaults may already have filled them in.
   */
  async plan({ tenant }: TenantProvider, interaction: Interaction, accountId: string): Promise<ConsentPlan> {
    const details = interaction.prompt.details as Record<string, unknown>;
    const missingResources = (details['missingResourceScopes'] ?? {}) as Record<string, unknown>;
    const resource = Object.keys(missingResources)[0] ?? firstString(interaction.params['resource']) ?? this.catalog.defaultResource(tenant);
    let resourceScopes = stringList(missingResources[resource]);
    const requested = parseScope(typeof interaction.params['scope'] === 'string' ? interaction.params['scope'] : undefined);
    if (resourceScopes.length === 0 && requested.size === 0) {
      resourceScopes = (await this.catalog.describe(tenant, resource))?.defaultScopes ?? [];
    }
    return {
      accountId,
      clientId: String(interaction.params['client_id']),
      resource,
      resourceScopes,
      oidcScopes: stringList(details['missingOIDCScope']),
      oidcClaims: stringList(details['missingOIDCClaims']),
    };
  }

  /** A remembered approval covering everything this prompt asks for, if the user gave one. */
  async remembered(tp: TenantProvider, plan: ConsentPlan): Promise<ConsentRow | undefined> {
    const row = await this.consents.findActive(tp.tenant.id, plan.accountId, plan.clientId, plan.resource);
    if (!row) return undefined;
    const covered = new Set(row.scopes);
    const asked = [...plan.resourceScopes, ...plan.oidcScopes.filter((s) => s !== 'openid')];
    return asked.every((s) => covered.has(s)) ? row : undefined;
  }

  /**
   * Approves: adds the scopes to the user's grant for this client and resource (the remembered one when it
   * still exists, so revoking it on the account page ends every token of it), saves it and records
   * the consent. Returns the grant id for `interactionFinished({ consent: { grantId } })`.
   */
  async approve(tp: TenantProvider, interaction: Interaction, plan: ConsentPlan, remembered?: ConsentRow): Promise<string> {
    const { provider, tenant } = tp;
    const existing = remembered ?? (await this.consents.findActive(tenant.id, plan.accountId, plan.clientId, plan.resource));
    let grant: Grant | undefined;
    for (const grantId of [existing?.grantId, interaction.grantId]) {
      if (!grantId) continue;
      const found = await provider.Grant.find(grantId);
      // One grant per resource: consents, the account page and revocation are per resource, and a consent
      // row names exactly one grant. The session's grant for this client may belong to another resource.
      const otherResource = Object.keys(found?.resources ?? {}).some((granted) => granted !== plan.resource);
      if (found && found.accountId === plan.accountId && found.clientId === plan.clientId && !otherResource) {
        grant = found;
        break;
      }
    }
    grant ??= new provider.Grant({ accountId: plan.accountId, clientId: plan.clientId });
    if (plan.oidcScopes.length > 0) grant.addOIDCScope(plan.oidcScopes.join(' '));
    if (plan.oidcClaims.length > 0) grant.addOIDCClaims(plan.oidcClaims);
    if (plan.resourceScopes.length > 0) grant.addResourceScope(plan.resource, plan.resourceScopes.join(' '));
    const grantId = await grant.save();
    await this.consents.record({
      tenantId: tenant.id,
      userId: plan.accountId,
      clientId: plan.clientId,
      resource: plan.resource,
      scopes: [...plan.resourceScopes, ...plan.oidcScopes.filter((s) => s !== 'openid')],
      grantId,
      toolVersions: await this.toolVersions(tenant, plan),
    });
    return grantId;
  }

  /**
   * Pinned tool definitions: the approved version (definition hash) of each tool this approval unlocks, as
   * the consent screen listed them, so the record says which definitions the user agreed to.
   */
  private async toolVersions(tenant: TenantProvider['tenant'], plan: ConsentPlan): Promise<Record<string, string>> {
    const description = await this.catalog.describe(tenant, plan.resource);
    if (!description || (description.kind !== 'mcp-aggregated' && description.kind !== 'mcp-server')) return {};
    const unlocked = await this.tools.unlockedBy(tenant.id, new Set(plan.resourceScopes), description.kind === 'mcp-server' ? description.serverName : undefined);
    return Object.fromEntries(unlocked.flatMap((tool) => (tool.approvedHash ? [[`${tool.server}/${tool.name}`, tool.approvedHash]] : [])));
  }

  async consentView(tp: TenantProvider, interaction: Interaction, plan: ConsentPlan): Promise<Omit<ConsentView, 'actionBase' | 'csrf'>> {
    const { provider, tenant } = tp;
    const client = await provider.Client.find(plan.clientId);
    const kind = await this.clients.kindOf(tenant.id, plan.clientId);
    const user = await this.users.findById(tenant.id, plan.accountId);
    const description = await this.catalog.describe(tenant, plan.resource);

    const shownScopes = [...new Set([...plan.oidcScopes.filter((s) => s !== 'openid'), ...plan.resourceScopes])];
    let tools: ConsentView['tools'] = [];
    let toolsTotal = 0;
    if (description && (description.kind === 'mcp-aggregated' || description.kind === 'mcp-server')) {
      const unlocked = await this.tools.unlockedBy(tenant.id, new Set(plan.resourceScopes), description.kind === 'mcp-server' ? description.serverName : undefined);
      toolsTotal = unlocked.length;
      tools = unlocked.slice(0, MAX_TOOLS_SHOWN).map((t) => ({ server: t.server, name: t.name, title: t.title }));
    }
    const redirectUri = typeof interaction.params['redirect_uri'] === 'string' ? interaction.params['redirect_uri'] : (client?.redirectUris?.[0] ?? '');
    return {
      tenantName: tenant.displayName,
      clientName: client?.clientName ?? plan.clientId,
      clientId: plan.clientId,
      unverified: kind !== 'admin',
      redirectHost: redirectHost(redirectUri),
      scopes: shownScopes.map((scope) => ({ scope, text: describeScope(scope) })),
      resource: { url: plan.resource, label: description?.label ?? plan.resource },
      tools,
      toolsTotal,
      accountUrl: `/t/${tenant.slug}/account`,
      userEmail: user?.email ?? '',
    };
  }
}
