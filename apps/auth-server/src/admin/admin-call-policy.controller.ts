import { Body, Controller, Param } from '@nestjs/common';
import { adminRoutes, evaluateCallPolicyRequestSchema, putCallPolicyRequestSchema } from '@airlock/contracts';
import { AuditAction, AuditTrail, Trail } from './admin-audit-trail.js';
import { CurrentAdmin, type AdminCaller } from './admin-caller.js';
import { AdminRoute } from './admin-route.decorator.js';
import { parse } from './admin.errors.js';
import { AdminCallPolicyService } from './admin-call-policy.service.js';

/** `/admin/v1/tenants/{tenant}/call-policy`: the tenant's Cedar call policy, and a dry run of it. */
@Controller()
export class AdminCallPolicyController {
  constructor(private readonly policies: AdminCallPolicyService) {}

  @AdminRoute(adminRoutes.getCallPolicy)
  async getCallPolicy(@Param('tenant') tenant: string) {
    return this.policies.get(tenant);
  }

  @AdminRoute(adminRoutes.putCallPolicy)
  @AuditAction('admin.call_policy.update')
  async putCallPolicy(@Param('tenant') tenant: string, @Body() body: unknown, @CurrentAdmin() caller: AdminCaller, @Trail() trail: AuditTrail) {
    return this.policies.put(tenant, parse(putCallPolicyRequestSchema, body), caller, trail);
  }

  @AdminRoute(adminRoutes.evaluateCallPolicy)
  @AuditAction('admin.call_policy.evaluate')
  async evaluateCallPolicy(@Param('tenant') tenant: string, @Body() body: unknown) {
    return this.policies.evaluate(tenant, parse(evaluateCallPolicyRequestSchema, body));
  }
}
