import { timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Logger } from '@airlock/observability';
import { LOGGER } from '../infra/infra.tokens.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { TenantNotFound, TenantResolver } from '../tenants/tenant-resolver.js';
import { ScimFailure } from './scim.errors.js';
import { hashScimToken, ScimTokensRepository } from './scim-tokens.repository.js';

/** Who is calling SCIM: a tenant's provisioning client, by the id of the token it presented. */
export interface ScimCaller {
  tenant: TenantRecord;
  tokenId: string;
  requestId: string;
}

export type ScimRequest = FastifyRequest & { scimCaller?: ScimCaller };

const unauthorized = () => new ScimFailure(401, undefined, 'a valid SCIM bearer token for this tenant is required');

/**
 * Bearer-token authentication per tenant: the token's SHA-256 is looked up, compared in constant time,
 * and must belong to the tenant in the path. A wrong, revoked or other tenant's token is the same 401,
 * so a caller learns nothing about which tenants exist. A body must be JSON (415 otherwise).
 */
@Injectable()
export class ScimAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: ScimTokensRepository,
    private readonly tenants: TenantResolver,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ScimRequest>();
    const slug = (request.params as Record<string, string | undefined>)['tenant'] ?? '';
    const match = /^Bearer +([\x21-\x7e]{1,512})\s*$/i.exec(request.headers.authorization ?? '');
    if (!match) throw unauthorized();
    const presented = hashScimToken(match[1]!);
    const row = await this.tokens.findByHash(presented);
    const tenant = slug === ADMIN_TENANT_SLUG ? undefined : await this.tenants.tenant(slug).catch((error: unknown) => {
      if (error instanceof TenantNotFound) return undefined;
      throw error;
    });
    if (!row || !tenant || row.tenantId !== tenant.id || !timingSafeEqual(Buffer.from(row.tokenHash), Buffer.from(presented))) {
      this.logger.warn({ tenant: slug, request_id: request.id, known_token: row !== undefined }, 'SCIM request refused: bad bearer token');
      throw unauthorized();
    }
    // Fastify would parse text/plain into a string; SCIM bodies are JSON only (RFC 7644 §3.1).
    const type = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (request.body !== undefined && type !== 'application/scim+json' && type !== 'application/json') {
      throw new ScimFailure(415, undefined, 'the request body must be application/scim+json or application/json');
    }
    await this.tokens.touch(row.id);
    request.scimCaller = { tenant, tokenId: row.id, requestId: request.id };
    return true;
  }
}
