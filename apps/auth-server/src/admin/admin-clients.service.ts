import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { errors } from 'oidc-provider';
import type { CreateClientRequest, UpdateClientRequest } from '@airlock/contracts';
import { ServiceClients } from '@airlock/platform';
import { sealClientMetadata } from '../adapter/client-store.js';
import { AUTH_SERVER_CLIENT_ID } from '../login-sessions/session-store-tokens.js';
import { ClientRevocationEffects } from '../oidc/client-revocation.service.js';
import { ClientMetadataError } from '../client-metadata/client-metadata-resolver.js';
import { MASTER_KEY } from '../infra/infra.tokens.js';
import { RegistrationPolicyGate } from '../registration-policy/registration-policy-gate.js';
import { OidcProviderRegistry } from '../oidc/tenant-providers.service.js';
import type { AuditTrail } from './admin-audit-trail.js';
import { AdminError, notFound, tenantNotFound } from './admin.errors.js';
import { AdminClientsRepository, type ClientFilter, type ClientRow } from './admin-clients.repository.js';
import { AdminGrantsService } from './admin-grants.service.js';
import type { Page } from './admin-paging.js';
import { ManagedTenants } from './managed-tenants.service.js';

/** Client metadata as the admin API shows it: never a secret. */
export function clientView(row: ClientRow): Record<string, unknown> {
  const metadata = Object.fromEntries(Object.entries(row.metadata).filter(([key]) => key !== 'client_secret' && key !== 'registration_access_token'));
  return { ...metadata, client_id: row.clientId, kind: row.kind, disabled: row.disabled, created_at: row.createdAt, last_used_at: row.lastUsedAt };
}

/** A client's audit snapshot: what identifies it and what an admin changes (no secret, no metadata dump). */
const snapshot = (row: ClientRow | undefined) =>
  row && { client_id: row.clientId, kind: row.kind, disabled: row.disabled, client_name: row.metadata['client_name'], grant_types: row.metadata['grant_types'], redirect_uris: row.metadata['redirect_uris'] };

/** A tenant's clients, whichever way they were registered (admin, RFC 7591, metadata documents). */
@Injectable()
export class AdminClientsService {
  constructor(
    @Inject(MASTER_KEY) private readonly masterKey: Buffer,
    private readonly repository: AdminClientsRepository,
    private readonly managed: ManagedTenants,
    private readonly registry: OidcProviderRegistry,
    private readonly registrationGate: RegistrationPolicyGate,
    private readonly grants: AdminGrantsService,
    private readonly revocation: ClientRevocationEffects,
  ) {}

  async list(slug: string, filter: ClientFilter, limit: number, cursor: string | undefined): Promise<Page<Record<string, unknown>>> {
    const result = await this.repository.list((await this.managed.get(slug)).id, filter, limit, cursor);
    return { items: result.items.map(clientView), nextCursor: result.nextCursor };
  }

  async get(slug: string, clientId: string): Promise<Record<string, unknown>> {
    const row = await this.repository.find((await this.managed.get(slug)).id, clientId);
    if (!row) throw notFound('client');
    return clientView(row);
  }

  /** A pre-registered client, validated like a dynamic registration; a confidential one's secret is returned once. */
  async create(slug: string, input: CreateClientRequest, trail: AuditTrail): Promise<Record<string, unknown>> {
    const tenant = await this.managed.get(slug);
    const clientId = input.client_id ?? `adm_${randomBytes(12).toString('hex')}`;
    trail.target = clientId;
    if (Object.values(ServiceClients).includes(clientId as never) || clientId === AUTH_SERVER_CLIENT_ID || /^https:/i.test(clientId)) {
      throw new AdminError('conflict', 'this client_id is reserved');
    }
    const metadata: Record<string, unknown> = {
      ...input,
      client_id: clientId,
      client_id_issued_at: Math.floor(Date.now() / 1000),
      response_types: input.grant_types.includes('authorization_code') ? ['code'] : [],
    };
    // A client_credentials-only client has no redirect URIs (an empty list would be refused as malformed).
    if (!input.grant_types.includes('authorization_code') && input.redirect_uris.length === 0) delete metadata['redirect_uris'];
    if (input.token_endpoint_auth_method !== 'none') metadata['client_secret'] = randomBytes(32).toString('base64url');
    try {
      await this.registrationGate.validate(tenant, metadata, 'admin');
      const entry = await this.registry.forTenant(slug);
      if (!entry) throw tenantNotFound();
      await entry.provider.Client.validate(metadata as never);
    } catch (error) {
      if (error instanceof ClientMetadataError) {
        throw new AdminError(error.error === 'invalid_redirect_uri' ? 'invalid_redirect_uri' : 'invalid_client_metadata', error.description);
      }
      if (error instanceof errors.OIDCProviderError) {
        throw new AdminError(error.error === 'invalid_redirect_uri' ? 'invalid_redirect_uri' : 'invalid_client_metadata', error.error_description ?? error.message);
      }
      throw error;
    }
    if (!(await this.repository.insert(tenant.id, clientId, sealClientMetadata(this.masterKey, tenant.id, clientId, metadata)))) throw new AdminError('conflict', `a client ${clientId} already exists`);
    trail.change(undefined, snapshot(await this.repository.find(tenant.id, clientId)));
    const { client_secret: secret, ...shown } = metadata;
    return { ...shown, kind: 'admin', ...(typeof secret === 'string' ? { client_secret: secret, client_secret_expires_at: 0 } : {}) };
  }

  /** Disabling refuses the client new tokens (it stops existing for oidc-provider) and revokes those it holds. */
  async update(slug: string, clientId: string, patch: UpdateClientRequest, trail: AuditTrail): Promise<Record<string, unknown>> {
    const tenant = await this.managed.get(slug);
    const before = await this.repository.find(tenant.id, clientId);
    if (!before || !(await this.repository.setDisabled(tenant.id, clientId, patch.disabled))) throw notFound('client');
    if (patch.disabled) {
      trail.details['grantsRevoked'] = await this.grants.revokeAll(tenant, { clientId }, 'admin_revoked');
      await this.revocation.apply(tenant, clientId, 'client_disabled');
    }
    const after = await this.repository.find(tenant.id, clientId);
    if (!after) throw notFound('client');
    trail.change(snapshot(before), snapshot(after));
    return clientView(after);
  }

  async delete(slug: string, clientId: string, trail: AuditTrail): Promise<void> {
    const tenant = await this.managed.get(slug);
    const before = await this.repository.find(tenant.id, clientId);
    if (!before) throw notFound('client');
    trail.details['grantsRevoked'] = await this.grants.revokeAll(tenant, { clientId }, 'client_deleted');
    await this.repository.delete(tenant.id, clientId);
    // After the row is gone (no new tokens): every token it still holds, client_credentials ones included.
    await this.revocation.apply(tenant, clientId, 'client_deleted');
    trail.change(snapshot(before), undefined);
  }

  /** Revokes every grant users gave the client (and their tokens); the client stays registered. */
  async revokeGrants(slug: string, clientId: string, trail: AuditTrail): Promise<number> {
    const tenant = await this.managed.get(slug);
    if (!(await this.repository.find(tenant.id, clientId))) throw notFound('client');
    const revoked = await this.grants.revokeAll(tenant, { clientId }, 'admin_revoked');
    trail.details['revoked'] = revoked;
    return revoked;
  }
}
