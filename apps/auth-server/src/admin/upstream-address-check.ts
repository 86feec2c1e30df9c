import { Inject, Injectable } from '@nestjs/common';
import type { AuthServerConfig } from '@airlock/config';
import { EgressPolicy, EgressRefusedError } from '@airlock/egress';
import { AUTH_CONFIG } from '../infra/infra.tokens.js';
import { AdminError } from './admin.errors.js';

/**
 * The operator's upstream address policy at registration: an upstream URL or client-credentials token
 * URL the gateway would refuse to connect to is refused here first, with the reason, before anything
 * is stored. The gateway checks again at connect time (DNS may change).
 */
@Injectable()
export class UpstreamAddressCheck {
  private readonly policy: EgressPolicy;

  constructor(@Inject(AUTH_CONFIG) config: AuthServerConfig) {
    this.policy = new EgressPolicy(config.egress);
  }

  async check(input: { url?: string | null | undefined; secrets?: unknown }): Promise<void> {
    if (input.url) await this.one('url', input.url);
    const tokenUrl = typeof input.secrets === 'object' && input.secrets !== null ? (input.secrets as { tokenUrl?: unknown }).tokenUrl : undefined;
    if (typeof tokenUrl === 'string') await this.one('secrets.tokenUrl', tokenUrl);
  }

  /** One URL the auth server or a gateway will fetch (an identity provider's issuer, ...); `field` names it in the refusal. */
  checkUrl(field: string, url: string): Promise<void> {
    return this.one(field, url);
  }

  private async one(field: string, url: string): Promise<void> {
    try {
      await this.policy.checkUrl(url);
    } catch (error) {
      if (error instanceof EgressRefusedError) throw new AdminError('invalid_request', `${field} refused by the upstream address policy: ${error.message}`);
      throw error;
    }
  }
}
