import { Controller, Param, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { adminAuditQuerySchema, adminRoutes } from '@airlock/contracts';
import { AdminRoute } from './admin-route.decorator.js';
import { CurrentAdmin, type AdminCaller } from './admin-caller.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { TenantResolver } from '../tenants/tenant-resolver.js';
import { parse } from './admin.errors.js';
import { AdminAuditLogRepository } from './admin-audit-log.repository.js';
import { ManagedTenants } from './managed-tenants.service.js';

/**
 * Tool-call arguments (recorded only for tenants that opt in, already redacted by key) are for the auditor
 * role alone: other admins see `arguments: "[auditor only]"` in their place.
 */
function withoutArguments<R extends { details: Record<string, unknown> }>(record: R): R {
  if (!('arguments' in record.details)) return record;
  return { ...record, details: { ...record.details, arguments: '[auditor only]' } };
}

/** Most records one JSON-lines export carries; `airlock-next-cursor` continues it. */
export const AUDIT_EXPORT_CAP = 10_000;
const EXPORT_PAGE = 500;
const NDJSON = 'application/x-ndjson';

/**
 * `/admin/v1/tenants/{tenant}/audit`: the tenant's audit log, and `/admin/v1/audit`: the platform's own
 * (the `admin` tenant's), each paged as JSON or exported as JSON lines.
 */
@Controller()
export class AdminAuditLogController {
  constructor(
    private readonly tenants: ManagedTenants,
    private readonly records: AdminAuditLogRepository,
    private readonly resolver: TenantResolver,
  ) {}

  @AdminRoute(adminRoutes.listAudit)
  async listAudit(@Param('tenant') tenant: string, @Query() query: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @CurrentAdmin() caller: AdminCaller) {
    return this.answer((await this.tenants.get(tenant)).id, query, req, reply, caller);
  }

  @AdminRoute(adminRoutes.listPlatformAudit)
  async listPlatformAudit(@Query() query: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply, @CurrentAdmin() caller: AdminCaller) {
    return this.answer((await this.resolver.tenant(ADMIN_TENANT_SLUG)).id, query, req, reply, caller);
  }

  private async answer(tenantId: string, query: unknown, req: FastifyRequest, reply: FastifyReply, caller: AdminCaller) {
    const { limit, cursor, format, ...filter } = parse(adminAuditQuerySchema, query);
    const jsonl = format === 'jsonl' || (format === undefined && (req.headers.accept ?? '').includes(NDJSON));
    const readsArguments = caller.role === 'auditor';
    if (!jsonl) {
      const page = await this.records.list(tenantId, filter, limit, cursor);
      return readsArguments ? page : { ...page, items: page.items.map(withoutArguments) };
    }
    // Paged reads up to the cap: each page is one indexed query, so an export never holds a long transaction.
    const lines: string[] = [];
    let next: string | null | undefined = cursor;
    do {
      const page = await this.records.list(tenantId, filter, Math.min(EXPORT_PAGE, AUDIT_EXPORT_CAP - lines.length), next ?? undefined);
      for (const record of page.items) lines.push(JSON.stringify(readsArguments ? record : withoutArguments(record)));
      next = page.nextCursor;
    } while (next && lines.length < AUDIT_EXPORT_CAP);
    if (next) void reply.header('airlock-next-cursor', next);
    void reply.header('content-type', NDJSON);
    return lines.map((line) => `${line}\n`).join('');
  }
}
