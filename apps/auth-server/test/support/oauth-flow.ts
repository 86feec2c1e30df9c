import { expect } from 'vitest';
import { browse, CookieJar, formFor, parseForms, pkce } from './browser.js';

// A scripted browser and OAuth client for one tenant of a running auth server: registers clients over
// RFC 7591, runs the authorization request through the real login and consent forms, redeems codes.

export const REDIRECT = 'http://127.0.0.1:9/callback';

export interface RegisteredClient {
  clientId: string;
  clientSecret?: string;
  registrationAccessToken: string;
}

export interface AuthorizeResult {
  /** The final redirect to the client (its redirect URI with code or error). */
  callback: URL;
  verifier: string;
}

export class OAuthFlow {
  readonly issuer: string;

  constructor(
    readonly baseUrl: string,
    readonly tenant: string,
    readonly user: { email: string; password: string },
  ) {
    this.issuer = `${baseUrl}/t/${tenant}`;
  }

  async register(metadata: Record<string, unknown> = {}): Promise<RegisteredClient> {
    const response = await fetch(`${this.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'Flow client',
        redirect_uris: [REDIRECT],
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        ...metadata,
      }),
    });
    const body = (await response.json()) as Record<string, unknown>;
    expect(response.status, JSON.stringify(body)).toBe(201);
    return {
      clientId: String(body['client_id']),
      ...(typeof body['client_secret'] === 'string' ? { clientSecret: body['client_secret'] } : {}),
      registrationAccessToken: String(body['registration_access_token']),
    };
  }

  /** GET /auth with the given parameters (undefined values left out); does not follow. */
  async authorizeRequest(jar: CookieJar, params: Record<string, string | undefined>): Promise<Response> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) query.set(key, value);
    return browse(jar, `${this.issuer}/auth?${query}`);
  }

  /**
   * A full authorization request: signs in and approves consent through the HTML forms as needed, and
   * returns where the browser is finally sent (the client's redirect URI).
   */
  async authorize(jar: CookieJar, client: RegisteredClient, params: Record<string, string | undefined> = {}): Promise<AuthorizeResult> {
    const { verifier, challenge } = pkce();
    const response = await this.authorizeRequest(jar, {
      client_id: client.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state: 'state-1',
      scope: 'mcp',
      ...params,
    });
    return { callback: await this.complete(jar, response), verifier };
  }

  /** Drives a browser from an authorization URL (for example one a real client built) to the client's redirect URI. */
  async follow(jar: CookieJar, authorizationUrl: string | URL): Promise<URL> {
    return this.complete(jar, await browse(jar, String(authorizationUrl)));
  }

  private async complete(jar: CookieJar, first: Response): Promise<URL> {
    let response = first;
    for (let step = 0; step < 12; step++) {
      if (response.status === 302 || response.status === 303) {
        const location = new URL(response.headers.get('location')!, this.baseUrl);
        if (!location.href.startsWith(this.baseUrl)) return location;
        response = await browse(jar, location.href);
        continue;
      }
      const html = await response.text();
      expect(response.status, html.slice(0, 500)).toBe(200);
      const forms = parseForms(html);
      if (forms.some((form) => form.action.endsWith('/login'))) {
        const login = formFor(html, '/login');
        response = await browse(jar, `${this.baseUrl}${login.action}`, { form: { ...login.fields, ...this.user } });
      } else if (forms.some((form) => form.action.endsWith('/confirm'))) {
        const confirm = formFor(html, '/confirm');
        response = await browse(jar, `${this.baseUrl}${confirm.action}`, { form: confirm.fields });
      } else {
        throw new Error(`unexpected page:\n${html.slice(0, 1500)}`);
      }
    }
    throw new Error('the authorization request did not finish');
  }

  /** Authorizes and returns the code (asserting success, `state` and RFC 9207 `iss`). */
  async code(jar: CookieJar, client: RegisteredClient, params: Record<string, string | undefined> = {}): Promise<{ code: string; verifier: string }> {
    const { callback, verifier } = await this.authorize(jar, client, params);
    expect(callback.searchParams.get('error'), callback.href).toBeNull();
    expect(callback.searchParams.get('iss')).toBe(this.issuer);
    return { code: callback.searchParams.get('code')!, verifier };
  }

  async token(client: RegisteredClient, form: Record<string, string | undefined>): Promise<{ status: number; json: Record<string, unknown> }> {
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(form)) if (value !== undefined) body.set(key, value);
    if (client.clientSecret) {
      headers['authorization'] = `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;
    } else {
      body.set('client_id', client.clientId);
    }
    const response = await fetch(`${this.issuer}/token`, { method: 'POST', headers, body });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  redeem(client: RegisteredClient, code: string, verifier: string | undefined, extra: Record<string, string | undefined> = {}) {
    return this.token(client, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier, ...extra });
  }

  refresh(client: RegisteredClient, refreshToken: string, extra: Record<string, string | undefined> = {}) {
    return this.token(client, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra });
  }

  /** A fresh signed-in browser's tokens for this client. */
  async tokens(client: RegisteredClient, params: Record<string, string | undefined> = {}): Promise<Record<string, unknown>> {
    const jar = new CookieJar();
    const { code, verifier } = await this.code(jar, client, params);
    const { status, json } = await this.redeem(client, code, verifier, params['resource'] ? { resource: params['resource'] } : {});
    expect(status, JSON.stringify(json)).toBe(200);
    return json;
  }
}

export { CookieJar };
