import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import type { TokenFile } from './token-file.js';

/**
 * The bridge's side of the SDK's OAuth client: a public client (PKCE, no secret) registered
 * dynamically with a loopback redirect URI, its tokens kept in the token file and refreshed by the SDK.
 */
export class FileOAuthProvider implements OAuthClientProvider {
  constructor(
    private readonly file: TokenFile,
    private readonly serverUrl: string,
    readonly redirectUrl: string,
    private readonly onAuthorizationUrl: (url: URL) => void,
  ) {
    // A registration is bound to its redirect URI; a new loopback port means registering again.
    if (file.get(serverUrl).redirectUrl !== redirectUrl) file.update(serverUrl, () => ({ redirectUrl }));
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'Airlock bridge',
      redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }

  clientInformation(): OAuthClientInformationMixed | undefined {
    return this.file.get(this.serverUrl).client;
  }

  saveClientInformation(client: OAuthClientInformationMixed): void {
    this.file.update(this.serverUrl, (current) => ({ ...current, client }));
  }

  tokens(): OAuthTokens | undefined {
    return this.file.get(this.serverUrl).tokens;
  }

  saveTokens(tokens: OAuthTokens): void {
    this.file.update(this.serverUrl, (current) => ({ ...current, tokens }));
  }

  redirectToAuthorization(url: URL): void {
    this.onAuthorizationUrl(url);
  }

  saveCodeVerifier(codeVerifier: string): void {
    this.file.update(this.serverUrl, (current) => ({ ...current, codeVerifier }));
  }

  codeVerifier(): string {
    const verifier = this.file.get(this.serverUrl).codeVerifier;
    if (!verifier) throw new Error('no PKCE code verifier saved');
    return verifier;
  }

  invalidateCredentials(scope: 'all' | 'client' | 'tokens' | 'verifier' | 'discovery'): void {
    this.file.update(this.serverUrl, (current) => {
      const next = { ...current };
      if (scope === 'all' || scope === 'tokens') delete next.tokens;
      if (scope === 'all' || scope === 'client') delete next.client;
      if (scope === 'all' || scope === 'verifier') delete next.codeVerifier;
      return next;
    });
  }
}
