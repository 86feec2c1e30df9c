import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@airlock/observability';
import { SessionAdminClient, SessionStoreClientError } from '@airlock/session-client';
import { LOGGER } from '../infra/infra.tokens.js';
import { LoginSessions } from '../login-sessions/login-sessions.service.js';
import { type GrantRevocationReason, GrantRevoker } from '../oidc/grant-revoker.js';
import type { TenantRecord } from '../tenants/tenant-record.js';
import { UserGrantIds } from './user-grant-ids.repository.js';
import { ConnectedAccountsService } from '../connected-accounts/connected-accounts.service.js';

/** What signing a user out everywhere ended. */
export interface UserSignOutResult {
  grantsRevoked: number;
  /** Sessions the session store ended now; null when only queued (not asked now, or it did not answer). */
  sessionsEnded: number | null;
  /** True when the session store was asked now and did not answer: its revocation stays queued and retried. */
  sessionStoreUnavailable: boolean;
}

export type UserSignOutReason = Extract<GrantRevocationReason, 'admin_revoked' | 'user_deleted'>;

/**
 * Ends everything a user holds, for every caller that must (admin disable/delete/sign-out, SCIM
 * deprovisioning): every grant (so refresh and access tokens die with it, and the grant-revoked event ends
 * its MCP sessions), the browser sign-ins here, every session at the session store, and the user's
 * connected accounts at other servers (their tokens deleted, revoked upstream). The session store step is
 * always queued (retried while the session store is down); with `now` it is also asked at once, so the
 * caller knows it is done.
 */
@Injectable()
export class UserSignOut {
  constructor(
    private readonly grantIds: UserGrantIds,
    private readonly revoker: GrantRevoker,
    private readonly logins: LoginSessions,
    private readonly store: SessionAdminClient,
    private readonly connected: ConnectedAccountsService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async everywhere(tenant: TenantRecord, userId: string, reason: UserSignOutReason, options: { now: boolean }): Promise<UserSignOutResult> {
    // The grants and the session store's sessions are independent: both are ended at once (deprovisioning has a 1 s budget).
    const [grantsRevoked, sessions] = await Promise.all([this.revokeGrants(tenant, userId, reason), options.now ? this.endSessionsNow(tenant, userId, reason) : null]);
    // Browser sessions here, and the session store's revocation queued (retried until it answers).
    await this.logins.signOutEverywhere(tenant, userId);
    // Connected accounts (issue 17): the user's tokens at other servers go too (revoked there in the background).
    await this.connected.forgetUser(tenant.id, userId);
    return { grantsRevoked, sessionsEnded: sessions?.ended ?? null, sessionStoreUnavailable: sessions?.unavailable ?? false };
  }

  private async revokeGrants(tenant: TenantRecord, userId: string, reason: UserSignOutReason): Promise<number> {
    const ids = await this.grantIds.of(tenant.id, userId);
    for (const grantId of ids) await this.revoker.revoke(tenant, grantId, reason);
    return ids.length;
  }

  private async endSessionsNow(tenant: TenantRecord, userId: string, reason: UserSignOutReason): Promise<{ ended: number | null; unavailable: boolean }> {
    try {
      return { ended: await this.store.revokeSubject(tenant.slug, userId, reason === 'user_deleted' ? 'user_deleted' : 'admin'), unavailable: false };
    } catch (error) {
      if (!(error instanceof SessionStoreClientError)) throw error;
      this.logger.warn({ err: error, tenant: tenant.slug }, 'session store did not answer; the sign-out stays queued');
      return { ended: null, unavailable: true };
    }
  }
}
