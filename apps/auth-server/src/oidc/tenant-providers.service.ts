import { Inject, Injectable } from '@nestjs/common';
import type Provider from 'oidc-provider';
import type { JSONWebKeySet } from 'jose';
import type { ClientMetadata, JWK, KoaContextWithOIDC } from 'oidc-provider';
import type { AuthServerConfig } from '@airlock/config';
import { sessionStoreAudience } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import { deriveServiceClientSecret, ServiceClients, BoundedCache } from '@airlock/platform';
import type { Pool } from 'pg';
import type { HotStore } from '@airlock/redis';
import ProviderClass from 'oidc-provider';
import { ArtifactAlreadyConsumedError } from '../adapter/artifact-errors.js';
import { ClientStore } from '../adapter/client-store.js';
import { createOidcAdapterFactory } from '../adapter/oidc-adapter.js';
import { SigningKeyRepository } from '../keys/signing-key.repository.js';
import { registrationAdmissionMiddleware, registrationMetadataValidator, REGISTRATION_VALIDATED_PROPERTIES } from '../registration-policy/registration-oidc-hooks.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { TenantRecords } from '../tenants/tenant-records.service.js';
import { clientCredentialsScopeMiddleware } from './client-credentials-scope.middleware.js';
import { defaultScopeMiddleware } from './default-scope.middleware.js';
import { registrationScopeMiddleware } from './registration-scope.middleware.js';
import { jwtTokenEndpointsMiddleware, publicJwksOf } from './jwt-token-endpoints.middleware.js';
import { GrantRevocationEffects } from './grant-revocation.service.js';
import { ClientMetadataResolver } from '../client-metadata/client-metadata-resolver.js';
import { AUTH_CONFIG, HOT_STORE, LOGGER, MASTER_KEY, PG_POOL } from '../infra/infra.tokens.js';
import type { GrantRevocationReason } from './grant-revoker.js';
import { ResourceCatalog } from './resource-catalog.js';
import { type TenantProvider, TenantProviders } from './tenant-providers.js';
import { RegistrationPolicyGate } from '../registration-policy/registration-policy-gate.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { AccountStore } from '../users/account-store.js';
import { adminCliClient } from './admin-cli-client.js';
import { adminConsoleClient } from './admin-console-client.js';
import { adminApiAudience, DatabaseResourceCatalog } from './resource-catalog.service.js';
import { buildProviderConfiguration, TOKEN_EXCHANGE_GRANT } from './provider-config.js';
import { registerTokenExchange } from './token-exchange.grant.js';
import { AuthMetrics } from '../metrics/auth-metrics.js';


/** Remembering that a tenant's keys exist costs a few dozen bytes: many more tenants than providers. */
const ensuredBound = (maxProviders: number) => Math.max(16 * maxProviders, 65_536);

/** A browser's oidc-provider session, as the login-session bookkeeping needs it. */
export interface BrowserSession {
  uid: string;
  accountId: string;
}

/**
 * What happens to browser sessions, for registering them as login sessions in the session store. Called
 * before the response goes out (so what they queue is queued when the browser moves on); they must be
 * quick and must not throw.
 */
export interface BrowserSessionListener {
  /** A user signed in at the end of an interaction (the session is saved by now). */
  signedIn(tenant: TenantRecord, session: BrowserSession, clientId: string | undefined): Promise<void>;
  /** An authorization request was answered with an existing signed-in session. */
  used(tenant: TenantRecord, session: BrowserSession): Promise<void>;
  /** The session was destroyed by a logout (oidc-provider's end_session, also when another user signs in). */
  ended(tenant: TenantRecord, session: BrowserSession): Promise<void>;
}

/** What an extension gets to add grants to a tenant's provider with. */
export interface ProviderBuild {
  tenant: TenantRecord;
  provider: Provider;
  publicJwks: JSONWebKeySet;
  signingJwks: JWK[];
}

/**
 * Adds grant types to every tenant's provider as it is built (the ID-JAG module). Token exchange has one
 * handler per provider, so an extension offers its exchanges by `requested_token_type` instead.
 */
export interface ProviderExtension {
  register(build: ProviderBuild): void;
  tokenExchanges?(build: ProviderBuild): ReadonlyMap<string, (ctx: KoaContextWithOIDC) => Promise<void>>;
}

interface BuiltProvider extends TenantProvider {
  /** What /jwks publishes, for verifying this tenant's tokens locally. */
  publicJwks: JSONWebKeySet;
  /** The private keys in signing order (the auth server signs its own service tokens with them). */
  signingJwks: JWK[];
}

/**
 * One oidc-provider instance per tenant, created on first use and cached. A tenant change (settings,
 * registration policy, key rotation) drops the instance on every replica; the next request builds a new
 * one. Building is a tenant row, a key query and a constructor, then oidc-provider validates its static
 * clients and imports the keys on first use: 3-5 ms of CPU (measured), once per change or eviction.
 */
@Injectable()
export class OidcProviderRegistry extends TenantProviders {
  /**
   * Instances kept, least recently used evicted first (AUTH_MAX_TENANT_PROVIDERS): a built provider holds
   * ~90 KiB of heap and ~0.4 MiB of RSS, so the bound is what keeps memory in check, and it should cover the
   * tenants active at once (a provider evicted and rebuilt on every other request costs several times a
   * token's CPU).
   */
  private cache: BoundedCache<string, Promise<BuiltProvider | undefined>>;
  /**
   * Tenants whose active and next keys this process has made sure of. Such keys only change by rotation,
   * which ensures them itself, so a rebuild skips that transaction (four round trips and an advisory lock).
   */
  private keysEnsured: BoundedCache<string, true>;

  constructor(
    @Inject(MASTER_KEY) private readonly masterKey: Buffer,
    @Inject(PG_POOL) private readonly pg: Pool,
    @Inject(HOT_STORE) private readonly hot: HotStore,
    @Inject(AUTH_CONFIG) private readonly config: AuthServerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly tenants: TenantRecords,
    private readonly resources: ResourceCatalog,
    private readonly catalog: DatabaseResourceCatalog,
    private readonly accounts: AccountStore,
    private readonly clientMetadata: ClientMetadataResolver,
    private readonly registrationGate: RegistrationPolicyGate,
    private readonly revocationEffects: GrantRevocationEffects,
    private readonly keys: SigningKeyRepository,
    private readonly clients: ClientStore,
    private readonly metrics: AuthMetrics,
  ) {
    super();
    this.cache = new BoundedCache(config.maxTenantProviders);
    this.keysEnsured = new BoundedCache(ensuredBound(config.maxTenantProviders));
    tenants.onChange((slug) => this.cache.delete(slug));
  }

  /** Sets how many tenants' providers stay cached (drops the current ones). */
  setCapacity(maxProviders: number): void {
    this.cache = new BoundedCache(maxProviders);
  }

  /** How many tenants' providers stay cached. */
  get capacity(): number {
    return this.cache.maxEntries;
  }

  /** The tenants whose providers are cached, least recently used first. */
  cachedTenants(): string[] {
    return this.cache.keys();
  }

  forTenant(slug: string): Promise<BuiltProvider | undefined> {
    let entry = this.cache.get(slug);
    if (!entry) {
      entry = this.build(slug).catch((error: unknown) => {
        this.cache.delete(slug);
        throw error;
      });
      this.cache.set(slug, entry);
    }
    return entry;
  }

  /** The tenant's private signing keys in signing order (undefined: no such tenant). */
  async signingJwks(slug: string): Promise<JWK[] | undefined> {
    return (await this.forTenant(slug))?.signingJwks;
  }

  /** The tenant's published signing keys, as its current provider uses them (undefined: no such tenant). */
  async publicJwks(slug: string): Promise<JSONWebKeySet | undefined> {
    return (await this.forTenant(slug))?.publicJwks;
  }

  private readonly extensions: ProviderExtension[] = [];

  /** Registered at module init, before the first provider is built. */
  extendProviders(extension: ProviderExtension): void {
    this.extensions.push(extension);
    this.cache = new BoundedCache(this.cache.maxEntries);
  }

  private browserSessions: BrowserSessionListener | undefined;
  private tokenIssued: ((tenant: TenantRecord, clientId: string) => void) | undefined;

  /** One listener told of every successful token request (the admin API's client last use), set before the first request. */
  watchTokenIssuance(listener: (tenant: TenantRecord, clientId: string) => void): void {
    this.tokenIssued = listener;
  }

  /** One listener (the login-session bookkeeping), set before the first request. */
  watchBrowserSessions(listener: BrowserSessionListener): void {
    this.browserSessions = listener;
  }

  /** Bootstrap admin client credentials, when configured or generated (see BootstrapService). */
  adminClient: { clientId: string; clientSecret: string } | undefined;

  private staticClients(tenant: TenantRecord): { clients: ClientMetadata[]; services: Map<string, string> } {
    if (tenant.slug === ADMIN_TENANT_SLUG) {
      const people = [adminCliClient, adminConsoleClient(this.config.publicUrl)];
      if (!this.adminClient) return { clients: people, services: new Map() };
      return {
        clients: [
          ...people,
          {
            client_id: this.adminClient.clientId,
            client_secret: this.adminClient.clientSecret,
            client_name: 'Airlock bootstrap admin',
            grant_types: ['client_credentials'],
            response_types: [],
            redirect_uris: [],
            token_endpoint_auth_method: 'client_secret_basic',
          },
        ],
        services: new Map([[this.adminClient.clientId, adminApiAudience(this.config.publicUrl)]]),
      };
    }
    const gateway: ClientMetadata = {
      client_id: ServiceClients.gateway,
      client_secret: deriveServiceClientSecret(this.masterKey, ServiceClients.gateway, tenant.slug),
      client_name: 'Airlock MCP gateway',
      grant_types: ['client_credentials', TOKEN_EXCHANGE_GRANT],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    };
    return { clients: [gateway], services: new Map([[ServiceClients.gateway, sessionStoreAudience(this.config.sessionStoreUrl)]]) };
  }

  private async build(slug: string): Promise<BuiltProvider | undefined> {
    const tenant = await this.tenants.findBySlug(slug);
    if (!tenant) return undefined;
    if (!this.keysEnsured.has(tenant.id)) {
      await this.keys.ensure(tenant.id);
      this.keysEnsured.set(tenant.id, true);
    }
    const jwks = (await this.keys.privateJwks(tenant.id)) as JWK[];
    const { clients, services } = this.staticClients(tenant);
    const configuration = buildProviderConfiguration({
      tenant,
      jwks,
      adapter: createOidcAdapterFactory({ tenant, pg: this.pg, hot: this.hot, clients: this.clients, clientMetadata: this.clientMetadata }),
      accounts: this.accounts,
      resources: this.resources,
      staticClients: clients,
      serviceClients: services,
      masterKey: this.masterKey,
      browserSessionSeconds: this.config.sessions.login.maxSeconds,
    });
    configuration.extraClientMetadata = { properties: [...REGISTRATION_VALIDATED_PROPERTIES], validator: registrationMetadataValidator };
    const provider: Provider = new ProviderClass(tenant.issuer, configuration);
    // Scheme from X-Forwarded-Proto, which the mount (oidc-mount.ts) always sets to the issuer's own.
    provider.proxy = true;
    const current = () => tenant;
    provider.use(defaultScopeMiddleware(this.resources, current));
    provider.use(clientCredentialsScopeMiddleware(this.resources, current, (clientId) => services.has(clientId)));
    provider.use(registrationScopeMiddleware(new Set(configuration.scopes ?? [])));
    provider.use(registrationAdmissionMiddleware(this.registrationGate, current));
    const publicJwks = publicJwksOf(jwks);
    const build: ProviderBuild = { tenant, provider, publicJwks, signingJwks: jwks };
    const exchanges = new Map<string, (ctx: KoaContextWithOIDC) => Promise<void>>();
    for (const extension of this.extensions) {
      extension.register(build);
      for (const [type, exchange] of extension.tokenExchanges?.(build) ?? []) exchanges.set(type, exchange);
    }
    registerTokenExchange(provider, {
      byRequestedType: exchanges,
      tenant,
      publicJwks,
      hot: this.hot,
      resources: this.resources,
      exchangeTarget: (t, resource) => this.catalog.exchangeTarget(t, resource),
      mayExchange: (clientId) => clientId === ServiceClients.gateway && tenant.slug !== ADMIN_TENANT_SLUG,
    });
    provider.use(
      jwtTokenEndpointsMiddleware({
        provider,
        tenant,
        publicJwks,
        hot: this.hot,
        revokeGrant: (grantId) => this.revokeGrant(provider, tenant, grantId, 'user_revoked'),
      }),
    );
    provider.use(async (ctx, next) => {
      await next();
      await this.noticeBrowserSession(tenant, ctx as KoaContextWithOIDC);
    });
    this.wireEvents(provider, tenant);
    return { tenant, provider, publicJwks, signingJwks: jwks };
  }

  /**
   * After a request that had a browser session: did it sign someone in, use a signed-in session, or
   * sign out? (end_session's confirmation is oidc-provider's only place that destroys a session.)
   */
  private async noticeBrowserSession(tenant: TenantRecord, ctx: KoaContextWithOIDC): Promise<void> {
    const listener = this.browserSessions;
    const oidc = ctx.oidc as KoaContextWithOIDC['oidc'] | undefined;
    // `destroyed` is set by Session#destroy; the type definitions do not declare it.
    const session = oidc?.session as (NonNullable<KoaContextWithOIDC['oidc']['session']> & { destroyed?: boolean }) | undefined;
    if (!listener || !oidc || !session?.accountId || session.transient) return;
    const browser = { uid: session.uid, accountId: session.accountId };
    if (session.destroyed) return listener.ended(tenant, browser);
    const login = oidc.result?.['login'] as { accountId?: string } | undefined;
    if (oidc.route === 'resume' && login?.accountId === session.accountId) return listener.signedIn(tenant, browser, oidc.client?.clientId);
    if (oidc.route === 'authorization') return listener.used(tenant, browser);
  }

  private wireEvents(provider: Provider, tenant: TenantRecord): void {
    const log = this.logger.child({ tenant: tenant.slug });
    provider.on('grant.revoked', (ctx: KoaContextWithOIDC, grantId: string) => {
      const reason: GrantRevocationReason = ctx.oidc.route === 'token' ? 'token_replayed' : 'user_revoked';
      this.revocationEffects.apply(tenant, grantId, reason).catch((error: unknown) => log.error({ err: error, grantId }, 'grant revocation side effects failed'));
    });
    provider.on('grant.error', (ctx: KoaContextWithOIDC, error: unknown) => {
      // A code redeemed twice at the same moment: the loser is a replay (OAuth 2.1 4.1.3), revoke the grant.
      if (error instanceof ArtifactAlreadyConsumedError && error.model === 'AuthorizationCode' && error.grantId) {
        const grantId = error.grantId;
        void this.revokeGrant(provider, tenant, grantId, 'token_replayed').catch((cause: unknown) => log.error({ err: cause, grantId }, 'revoking a replayed grant failed'));
      }
      void ctx;
    });
    provider.on('server_error', (_ctx: KoaContextWithOIDC, error: unknown) => log.error({ err: error }, 'oidc-provider server error'));
    provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
      this.metrics.tokenIssued(ctx.oidc.params?.['grant_type'] as string | undefined);
      const clientId = ctx.oidc.client?.clientId;
      if (clientId) this.tokenIssued?.(tenant, clientId);
    });
  }

  /** Destroys a grant's artifacts in oidc-provider's storage and applies the side effects. */
  async revokeGrant(provider: Provider, tenant: TenantRecord, grantId: string, reason: GrantRevocationReason): Promise<void> {
    await Promise.all([
      provider.AccessToken.adapter.revokeByGrantId(grantId),
      provider.AuthorizationCode.adapter.revokeByGrantId(grantId),
      provider.RefreshToken.adapter.revokeByGrantId(grantId),
      provider.Grant.adapter.destroy(grantId),
    ]);
    await this.revocationEffects.apply(tenant, grantId, reason);
  }
}
