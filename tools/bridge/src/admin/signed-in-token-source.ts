import { ApiError } from './admin-errors.js';
import { requestTokens } from './admin-oauth.js';
import type { AccessTokenSource } from './admin-token.js';
import type { CredentialsFile, StoredSignIn } from './credentials-file.js';

// A person's sign-in (`airlock admin login`) as the bearer of an API call: the stored access token while
// it lasts, then the refresh grant. The admin tenant rotates a public client's refresh token on every use,
// so the new one replaces the old in the file at once (the old one is dead from here on).

export class SignedInTokenSource implements AccessTokenSource {
  constructor(
    private readonly file: CredentialsFile,
    private readonly authUrl: string,
    private readonly signIn: StoredSignIn,
  ) {}

  async accessToken(): Promise<string> {
    const fresh = this.unexpired();
    if (fresh) return fresh;
    return this.file.exclusively(async () => {
      // Another run may have refreshed while this one waited for the lock.
      const refreshedMeanwhile = this.unexpired();
      if (refreshedMeanwhile) return refreshedMeanwhile;
      return this.refresh(this.file.get(this.authUrl) ?? this.signIn);
    });
  }

  /** The stored access token unless it expires within a margin (so it cannot expire on the way to the API). */
  private unexpired(): string | undefined {
    const current = this.file.get(this.authUrl) ?? this.signIn;
    return current.accessTokenExpiresAt - 10_000 > Date.now() ? current.accessToken : undefined;
  }

  private async refresh(current: StoredSignIn): Promise<string> {
    if (!current.refreshToken) throw this.loginAgain('the sign-in has expired');
    let issued;
    try {
      issued = await requestTokens(current.tokenEndpoint, { grant_type: 'refresh_token', refresh_token: current.refreshToken, resource: current.resource });
    } catch (error) {
      // Expired, or revoked (logout, a disabled admin, a reused refresh token): only a new sign-in helps.
      if (error instanceof ApiError && error.error === 'invalid_grant') throw this.loginAgain(`the sign-in can no longer be refreshed (${error.description})`);
      throw error;
    }
    this.file.set(this.authUrl, {
      ...current,
      accessToken: issued.accessToken,
      accessTokenExpiresAt: issued.expiresAt,
      refreshToken: issued.refreshToken ?? current.refreshToken,
    });
    return issued.accessToken;
  }

  private loginAgain(why: string): ApiError {
    return new ApiError('login_required', `${why}: run airlock admin login --url ${this.authUrl}`);
  }
}
