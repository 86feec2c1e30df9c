import { HttpException, Inject, Injectable } from '@nestjs/common';
import { POLICY_CHANGED_CHANNEL } from '@airlock/contracts';
import type { CallPolicy, CallPolicyDecision, EvaluateCallPolicyRequest, PutCallPolicyRequest } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import { CompiledCallPolicy, InvalidPolicyError, checkCallPolicy, refusalMessage } from '@airlock/policy';
import type { HotStore } from '@airlock/redis';
import { HOT_STORE, LOGGER } from '../infra/infra.tokens.js';
import type { AdminCaller } from './admin-caller.js';
import type { AuditTrail } from './admin-audit-trail.js';
import { AdminError } from './admin.errors.js';
import { AdminCallPolicyRepository, type CallPolicyRow } from './admin-call-policy.repository.js';
import { ManagedTenants } from './managed-tenants.service.js';

/** A policy Cedar refused: the admin 400 with Cedar's findings (the admin's own text, so nothing to hide). */
function invalidPolicy(error: InvalidPolicyError): HttpException {
  const description = `the call policy is not valid: ${error.diagnostics.length} problem${error.diagnostics.length === 1 ? '' : 's'} (see diagnostics)`;
  return new HttpException({ error: 'invalid_request', error_description: description, diagnostics: error.diagnostics }, 400);
}

function compileOrRefuse(cedar: string, defaultEffect: 'allow' | 'deny', version = 0): CompiledCallPolicy {
  try {
    return CompiledCallPolicy.compile(cedar, defaultEffect, version);
  } catch (error) {
    if (error instanceof InvalidPolicyError) throw invalidPolicy(error);
    throw error;
  }
}

function view(tenant: string, row: CallPolicyRow | undefined): CallPolicy {
  if (!row) return { tenant, cedar: '', defaultEffect: 'allow', version: 0, rules: [], recordArguments: false, redactedKeys: [], updatedBy: null, updatedAt: null };
  let rules: string[] = [];
  try {
    rules = checkCallPolicy(row.cedar).rules;
  } catch {
    // A stored policy an upgrade no longer accepts: shown as it is, with no rule names (the gateway refuses every call).
  }
  return { tenant, cedar: row.cedar, defaultEffect: row.defaultEffect, version: row.version, rules, recordArguments: row.recordArguments, redactedKeys: row.redactedKeys, updatedBy: row.updatedBy, updatedAt: row.updatedAt.toISOString() };
}

/**
 * Tenants' call policies: validated with Cedar against the call-policy schema before anything is stored,
 * saved as the next version, and announced on POLICY_CHANGED_CHANNEL so every gateway replica drops its
 * compiled copy. The dry run compiles the saved policy (or a draft) here, with the gateway's own engine.
 */
@Injectable()
export class AdminCallPolicyService {
  constructor(
    private readonly repository: AdminCallPolicyRepository,
    private readonly managed: ManagedTenants,
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async get(slug: string): Promise<CallPolicy> {
    return view(slug, await this.repository.find((await this.managed.get(slug)).id));
  }

  async put(slug: string, input: PutCallPolicyRequest, caller: AdminCaller, trail: AuditTrail): Promise<CallPolicy> {
    const tenant = await this.managed.get(slug);
    compileOrRefuse(input.cedar, input.defaultEffect);
    const before = await this.repository.find(tenant.id);
    const saved = await this.repository.save(
      tenant.id,
      {
        cedar: input.cedar,
        defaultEffect: input.defaultEffect,
        recordArguments: input.recordArguments ?? before?.recordArguments ?? false,
        redactedKeys: input.redactedKeys ?? before?.redactedKeys ?? [],
        updatedBy: caller.subject,
      },
      input.expectedVersion,
    );
    if (!saved) throw new AdminError('conflict', `the call policy changed since version ${input.expectedVersion}; read it again`);
    trail.target = 'call-policy';
    trail.change(before ? summary(before) : undefined, summary(saved));
    await this.hot.publish(POLICY_CHANGED_CHANNEL, slug).catch((error: unknown) => {
      this.logger.warn({ err: error, tenant: slug }, 'call policy change not announced; gateways pick it up within their refresh interval');
    });
    return view(slug, saved);
  }

  async evaluate(slug: string, input: EvaluateCallPolicyRequest): Promise<CallPolicyDecision> {
    const tenant = await this.managed.get(slug);
    let policy: CompiledCallPolicy | undefined;
    let version: number | null = null;
    if (input.cedar !== undefined) policy = compileOrRefuse(input.cedar, input.defaultEffect ?? 'deny');
    else {
      const row = await this.repository.find(tenant.id);
      version = row?.version ?? 0;
      if (!row) return { allowed: true, rule: null, message: null, version };
      policy = compileOrRefuse(row.cedar, row.defaultEffect, row.version);
    }
    const decision = policy.evaluate({ subject: input.subject, groups: input.groups, scopes: input.scopes, clientId: input.clientId, server: input.server, tool: input.tool, arguments: input.arguments });
    if (decision.allowed) return { allowed: true, rule: decision.rule ?? null, message: null, version };
    return { allowed: false, rule: decision.rule ?? null, message: refusalMessage(decision, policy.defaultEffect), version };
  }
}

/** What the admin audit record keeps of a version: not the whole text (it can be long), its shape. */
function summary(row: CallPolicyRow): Record<string, unknown> {
  let rules: string[] = [];
  try {
    rules = checkCallPolicy(row.cedar).rules;
  } catch {
    rules = [];
  }
  return { version: row.version, defaultEffect: row.defaultEffect, rules, recordArguments: row.recordArguments, redactedKeys: row.redactedKeys };
}
