import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import type { Pool } from 'pg';
import type { HotStore } from '@airlock/redis';
import { ClientMetadataError, type ClientMetadataResolver } from '../client-metadata/client-metadata-resolver.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { ArtifactAlreadyConsumedError } from './artifact-errors.js';
import { DURABLE_MODELS, type ArtifactPayload } from './artifact-kinds.js';
import type { ClientStore } from './client-store.js';
import { HotArtifactStore } from './hot-artifact-store.js';
import { PgArtifactStore } from './pg-artifact-store.js';

/** What one tenant's adapter needs; built by the provider factory, one per oidc-provider instance. */
export interface OidcAdapterDeps {
  tenant: TenantRecord;
  pg: Pool;
  hot: HotStore;
  clients: ClientStore;
  clientMetadata: ClientMetadataResolver;
}

interface ArtifactStore {
  upsert(model: string, id: string, payload: ArtifactPayload, expiresIn: number | undefined): Promise<void>;
  find(model: string, id: string): Promise<ArtifactPayload | undefined>;
  findBy(model: string, kind: 'uid' | 'user-code', value: string): Promise<ArtifactPayload | undefined>;
  consume(model: string, id: string): Promise<boolean>;
  destroy(model: string, id: string): Promise<void>;
  revokeByGrantId(model: string, grantId: string): Promise<void>;
}

/** Every model but Client: durable ones in Postgres, short-lived ones in the hot store. */
class ArtifactAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly store: ArtifactStore,
  ) {}

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    await this.store.upsert(this.model, id, payload as ArtifactPayload, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return (await this.store.find(this.model, id)) as AdapterPayload | undefined;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return (await this.store.findBy(this.model, 'uid', uid)) as AdapterPayload | undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return (await this.store.findBy(this.model, 'user-code', userCode)) as AdapterPayload | undefined;
  }

  /** Atomic: of many concurrent consumers one returns, the others get invalid_grant. */
  async consume(id: string): Promise<void> {
    if (await this.store.consume(this.model, id)) return;
    const payload = await this.store.find(this.model, id);
    throw new ArtifactAlreadyConsumedError(this.model, id, payload?.grantId);
  }

  async destroy(id: string): Promise<void> {
    await this.store.destroy(this.model, id);
  }

  async revokeByGrantId(grantId: string): Promise<void> {
    await this.store.revokeByGrantId(this.model, grantId);
  }
}

/**
 * Model Client: registered clients from `oauth_clients`; an https client_id is a Client ID Metadata
 * Document, resolved (fetched, validated, cached) by the ClientMetadataResolver. oidc-provider's own
 * CIMD fetcher stays disabled, so this is the only way a client_id URL reaches the network.
 */
class ClientAdapter implements Adapter {
  constructor(private readonly deps: OidcAdapterDeps) {}

  async find(id: string): Promise<AdapterPayload | undefined> {
    // http too: the resolver refuses it, except for loopback hosts in development and tests.
    if (/^https?:\/\//i.test(id)) {
      try {
        return (await this.deps.clientMetadata.resolve(this.deps.tenant, id)) as AdapterPayload;
      } catch (error) {
        if (error instanceof ClientMetadataError) {
          if (error.error === 'rate_limited') throw new errors.TemporarilyUnavailable(error.description);
          throw new errors.InvalidClient('client metadata document refused', error.description);
        }
        throw error;
      }
    }
    return (await this.deps.clients.find(this.deps.tenant.id, id)) as AdapterPayload | undefined;
  }

  async upsert(id: string, payload: AdapterPayload): Promise<void> {
    await this.deps.clients.upsert(this.deps.tenant.id, id, payload as Record<string, unknown>, 'dynamic');
  }

  async destroy(id: string): Promise<void> {
    await this.deps.clients.destroy(this.deps.tenant.id, id);
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(): Promise<void> {}

  async revokeByGrantId(): Promise<void> {}
}

export function createOidcAdapterFactory(deps: OidcAdapterDeps): AdapterFactory {
  const durable = new PgArtifactStore(deps.pg, deps.tenant.id);
  const hot = new HotArtifactStore(deps.hot, deps.tenant.slug);
  return (model: string) => {
    if (model === 'Client') return new ClientAdapter(deps);
    return new ArtifactAdapter(model, DURABLE_MODELS.has(model) ? durable : hot);
  };
}
