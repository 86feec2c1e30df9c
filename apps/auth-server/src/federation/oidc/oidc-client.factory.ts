import { Inject, Injectable } from '@nestjs/common';
import * as oidc from 'openid-client';
import type { AuthServerConfig } from '@airlock/config';
import { EgressPolicy, egressAgent, egressFetch } from '@airlock/egress';
import { BoundedCache } from '@airlock/platform';
import { AUTH_CONFIG } from '../../infra/infra.tokens.js';
import type { OidcProviderRecord } from '../identity-provider.repository.js';

const DISCOVERY_TTL_MS = 60 * 60 * 1000;
const TIMEOUT_SECONDS = 10;

/**
 * openid-client configurations per provider: discovery done once per provider version (an admin edit
 * starts over) and kept an hour. Every request to a provider (discovery, JWKS, token) goes through the
 * operator's egress policy, like the gateway's upstream traffic: loopback and private addresses only
 * where `AIRLOCK_UPSTREAM_ALLOW_*` allows them, never Airlock's own services. ID-token signatures are
 * always checked against the provider's JWKS (`enableNonRepudiationChecks`): openid-client would
 * otherwise trust an ID token from the token endpoint on TLS alone.
 */
@Injectable()
export class OidcClientFactory {
  private readonly cache = new BoundedCache<string, Promise<oidc.Configuration>>(500, DISCOVERY_TTL_MS);
  private readonly fetch: typeof globalThis.fetch;
  private readonly allowHttp: boolean;

  constructor(@Inject(AUTH_CONFIG) config: AuthServerConfig) {
    this.fetch = egressFetch(egressAgent(new EgressPolicy(config.egress)));
    // Plain-http issuers only outside production (local IdPs in development and tests).
    this.allowHttp = config.env !== 'production';
  }

  configuration(provider: OidcProviderRecord): Promise<oidc.Configuration> {
    const cached = this.cache.get(provider.version);
    if (cached) return cached;
    const pending = this.discover(provider);
    this.cache.set(provider.version, pending);
    // A failed discovery is not remembered: the next sign-in tries again.
    pending.catch(() => this.cache.delete(provider.version));
    return pending;
  }

  private async discover(provider: OidcProviderRecord): Promise<oidc.Configuration> {
    const insecure = this.allowHttp && provider.config.issuer.startsWith('http:');
    const configuration = await oidc.discovery(
      new URL(provider.config.issuer),
      provider.config.clientId,
      { client_secret: provider.clientSecret },
      oidc.ClientSecretPost(provider.clientSecret),
      { [oidc.customFetch]: this.fetch as oidc.CustomFetch, timeout: TIMEOUT_SECONDS, ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}) },
    );
    configuration[oidc.customFetch] = this.fetch as oidc.CustomFetch;
    configuration.timeout = TIMEOUT_SECONDS;
    oidc.enableNonRepudiationChecks(configuration);
    return configuration;
  }
}
