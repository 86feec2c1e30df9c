import { ApiError } from './admin-errors.js';
import { readApiError, sendRequest } from './admin-http.js';

// Signs in as a service client: the OAuth client credentials grant at the admin tenant's token endpoint,
// scope `admin`. The token lives in this process's memory only and is fetched again when it runs out.

export interface AdminClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** Where an API call gets its bearer token: client credentials (env) or a person's stored sign-in. */
export interface AccessTokenSource {
  accessToken(): Promise<string>;
}

export class AdminTokenSource implements AccessTokenSource {
  private token: { value: string; expiresAt: number } | undefined;

  constructor(
    private readonly authUrl: string,
    private readonly credentials: AdminClientCredentials,
  ) {}

  get tokenUrl(): string {
    return `${this.authUrl}/t/admin/token`;
  }

  async accessToken(): Promise<string> {
    // A margin so a token does not expire between here and the API.
    if (this.token && this.token.expiresAt - 10_000 > Date.now()) return this.token.value;
    // RFC 6749 2.3.1: id and secret are form-encoded before they are joined for Basic.
    const basic = Buffer.from(`${encodeURIComponent(this.credentials.clientId)}:${encodeURIComponent(this.credentials.clientSecret)}`).toString('base64');
    const response = await sendRequest(this.tokenUrl, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }).toString(),
    });
    if (!response.ok) throw await readApiError(response, 'token endpoint');
    const body = (await response.json().catch(() => undefined)) as { access_token?: unknown; expires_in?: unknown } | undefined;
    if (typeof body?.access_token !== 'string') throw new ApiError('invalid_response', `the token endpoint ${this.tokenUrl} answered without an access token`);
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : 60;
    this.token = { value: body.access_token, expiresAt: Date.now() + expiresIn * 1000 };
    return this.token.value;
  }
}
