import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { FEDERATED_SIGN_IN, type FederatedSignIn } from '../federation/federated-sign-in.js';
import type { AuthServerConfig } from '@airlock/config';
import { ID_JAG_TOKEN_TYPE } from '@airlock/contracts';
import { SystemHostResolver } from '@airlock/egress';
import type { HotStore } from '@airlock/redis';
import { SafeFetcher } from '../client-metadata/safe-fetcher.js';
import { AUTH_CONFIG, HOT_STORE } from '../infra/infra.tokens.js';
import { ResourceCatalog } from '../oidc/resource-catalog.js';
import { OidcProviderRegistry, type ProviderBuild } from '../oidc/tenant-providers.service.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { AccountStore } from '../users/account-store.js';
import { AssertionReplayGuard } from './assertion-replay.js';
import { IdJagAudit } from './id-jag-audit.js';
import { idJagExchangeHandler } from './id-jag-issuance.js';
import { IdJagRepository } from './id-jag.repository.js';
import { IssuerKeys } from './issuer-keys.js';
import { registerJwtBearerGrant } from './jwt-bearer.grant.js';

/**
 * Puts ID-JAG on every tenant's provider (never the platform's own `admin` tenant): the jwt-bearer grant
 * (resource side) and token exchange for an ID-JAG (IdP side). Keys of trusted issuers are cached per
 * process across tenants' provider rebuilds.
 */
@Injectable()
export class IdJagGrants implements OnModuleInit {
  private readonly keys: IssuerKeys;
  private readonly replay: AssertionReplayGuard;

  constructor(
    @Inject(AUTH_CONFIG) config: AuthServerConfig,
    @Inject(HOT_STORE) private readonly hot: HotStore,
    private readonly registry: OidcProviderRegistry,
    private readonly repository: IdJagRepository,
    private readonly resources: ResourceCatalog,
    private readonly audit: IdJagAudit,
    private readonly accounts: AccountStore,
    @Inject(FEDERATED_SIGN_IN) private readonly signIn: FederatedSignIn,
  ) {
    // A JWKS is a few KiB; 64 KiB bounds a hostile one. Loopback http only outside production.
    this.keys = new IssuerKeys(new SafeFetcher(new SystemHostResolver(), { maxBytes: 64 * 1024, timeoutMs: 5_000, maxRedirects: 2, allowLoopbackHttp: config.env !== 'production' }));
    this.replay = new AssertionReplayGuard(hot);
  }

  onModuleInit(): void {
    this.registry.extendProviders({
      register: (build) => this.register(build),
      tokenExchanges: (build) => this.exchanges(build),
    });
  }

  private register({ tenant, provider }: ProviderBuild): void {
    if (tenant.slug === ADMIN_TENANT_SLUG) return;
    registerJwtBearerGrant(provider, {
      tenant,
      repository: this.repository,
      keys: this.keys,
      replay: this.replay,
      resources: this.resources,
      groupAccess: (tenant, accountId) => this.accounts.groupAccess(tenant, accountId),
      provision: (tenant, issuer, subject, email) => this.provision(tenant, issuer, subject, email),
      record: (t, redemption) => this.audit.redeemed(t, redemption),
    });
  }

  /**
   * ID-JAG just-in-time provisioning: the subject becomes a user exactly as a first sign-in through the
   * tenant's OpenID provider of the same issuer would make it (FEDERATED_SIGN_IN: linked by issuer and
   * subject; the assertion's email is not vouched for, so the user gets a placeholder address, and a
   * provider bound to SCIM links to the SCIM-created user). Undefined without such a provider, or when
   * the sign-in is refused (provider or user disabled).
   */
  private async provision(tenant: TenantRecord, issuer: string, subject: string, email: string | undefined): Promise<string | undefined> {
    const providerId = await this.repository.oidcProviderFor(tenant.id, issuer);
    if (!providerId) return undefined;
    const outcome = await this.signIn.complete(tenant.id, { providerId, issuer, subject, email, emailVerified: false, groups: [] });
    return outcome.ok ? outcome.userId : undefined;
  }

  private exchanges(build: ProviderBuild) {
    if (build.tenant.slug === ADMIN_TENANT_SLUG) return new Map();
    return new Map([
      [ID_JAG_TOKEN_TYPE, idJagExchangeHandler(build.provider, { ...build, hot: this.hot, repository: this.repository, record: (t, issue) => this.audit.issued(t, issue) })],
    ]);
  }
}
