// Sign-in for the console: OAuth 2.1 authorization code + PKCE (S256) as the public client `airlock-console`
// of the `admin` tenant. Tokens live in this module's memory only (never in web storage): a reload signs in
// again (the auth server's own sign-in cookie usually makes that a redirect round trip). Only the one-use
// PKCE verifier and state cross the redirect, in sessionStorage, and are removed on return.

export interface ConsoleSettings {
  issuer: string;
  clientId: string;
  redirectUri: string;
  resource: string;
  apiBase: string;
  scope: string;
}

interface Endpoints {
  authorization_endpoint: string;
  token_endpoint: string;
  revocation_endpoint?: string;
}

interface Tokens {
  accessToken: string;
  refreshToken: string | undefined;
  expiresAt: number;
}

const PENDING_KEY = 'airlock-console.pending-sign-in';
/** Renew this long before the access token expires. */
const RENEW_BEFORE_MS = 60_000;

let settings: ConsoleSettings | undefined;
let endpoints: Endpoints | undefined;
let tokens: Tokens | undefined;
let renewTimer: ReturnType<typeof setTimeout> | undefined;
let renewing: Promise<string | undefined> | undefined;
const listeners = new Set<() => void>();

export async function loadSettings(): Promise<ConsoleSettings> {
  if (settings) return settings;
  const response = await fetch('/console/config.json', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`console settings: HTTP ${response.status}`);
  settings = (await response.json()) as ConsoleSettings;
  return settings;
}

async function loadEndpoints(): Promise<Endpoints> {
  if (endpoints) return endpoints;
  const { issuer } = await loadSettings();
  const response = await fetch(`${issuer}/.well-known/openid-configuration`, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`authorization server metadata: HTTP ${response.status}`);
  endpoints = (await response.json()) as Endpoints;
  return endpoints;
}

function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(): string {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

export function isSignedIn(): boolean {
  return tokens !== undefined;
}

export function onAuthChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function changed(): void {
  for (const listener of listeners) listener();
}

/** Leaves for the login page; `returnTo` is where the console opens after the callback. */
export async function signIn(returnTo: string): Promise<void> {
  const config = await loadSettings();
  // Opened on another name of this server (127.0.0.1 for localhost): continue on the public URL's origin,
  // where the callback lands and which the CSP's connect-src ('self') allows.
  const publicOrigin = new URL(config.issuer).origin;
  if (window.location.origin !== publicOrigin) {
    window.location.assign(`${config.redirectUri.replace(/\/callback$/, '')}${returnTo}`);
    return;
  }
  const metadata = await loadEndpoints();
  const verifier = randomString();
  const state = randomString();
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  sessionStorage.setItem(PENDING_KEY, JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(metadata.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: config.redirectUri,
    scope: config.scope,
    resource: config.resource,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state,
  }).toString();
  window.location.assign(url.toString());
}

async function tokenRequest(form: Record<string, string>): Promise<void> {
  const [config, metadata] = await Promise.all([loadSettings(), loadEndpoints()]);
  const response = await fetch(metadata.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ client_id: config.clientId, resource: config.resource, ...form }),
  });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok || typeof body['access_token'] !== 'string') {
    throw new Error(String(body['error_description'] ?? body['error'] ?? `token endpoint: HTTP ${response.status}`));
  }
  const expiresIn = typeof body['expires_in'] === 'number' ? body['expires_in'] : 300;
  tokens = {
    accessToken: body['access_token'],
    refreshToken: typeof body['refresh_token'] === 'string' ? body['refresh_token'] : tokens?.refreshToken,
    expiresAt: Date.now() + expiresIn * 1000,
  };
  scheduleRenewal();
  changed();
}

/** The redirect back from the login page: exchanges the code; returns where to go next. */
export async function completeSignIn(search: URLSearchParams): Promise<string> {
  const pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) ?? 'null') as { verifier: string; state: string; returnTo: string } | null;
  sessionStorage.removeItem(PENDING_KEY);
  const error = search.get('error');
  if (error) throw new Error(search.get('error_description') ?? error);
  if (!pending || search.get('state') !== pending.state) throw new Error('This sign-in was not started here (state mismatch). Sign in again.');
  const code = search.get('code');
  if (!code) throw new Error('The authorization server returned no code.');
  const config = await loadSettings();
  await tokenRequest({ grant_type: 'authorization_code', code, code_verifier: pending.verifier, redirect_uri: config.redirectUri });
  return pending.returnTo;
}

function scheduleRenewal(): void {
  clearTimeout(renewTimer);
  if (!tokens?.refreshToken) return;
  const delay = Math.max(5_000, tokens.expiresAt - Date.now() - RENEW_BEFORE_MS);
  renewTimer = setTimeout(() => void renew(), delay);
}

/** Silent renewal with the refresh token (one at a time: a rotated refresh token is good once). */
export function renew(): Promise<string | undefined> {
  renewing ??= (async () => {
    try {
      if (!tokens?.refreshToken) return undefined;
      await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refreshToken });
      return tokens.accessToken;
    } catch {
      forget();
      return undefined;
    } finally {
      renewing = undefined;
    }
  })();
  return renewing;
}

/** A valid access token, renewed first when it is about to expire; undefined when signed out. */
export async function accessToken(): Promise<string | undefined> {
  if (!tokens) return undefined;
  if (tokens.expiresAt - Date.now() < 10_000) return renew();
  return tokens.accessToken;
}

function forget(): void {
  clearTimeout(renewTimer);
  tokens = undefined;
  changed();
}

/** Signs out: revokes the refresh and access tokens (RFC 7009), then forgets them either way. */
export async function signOut(): Promise<void> {
  const held = tokens;
  forget();
  if (!held) return;
  try {
    const [config, metadata] = await Promise.all([loadSettings(), loadEndpoints()]);
    if (!metadata.revocation_endpoint) return;
    const revoke = (token: string, hint: string) =>
      fetch(metadata.revocation_endpoint!, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: config.clientId, token, token_type_hint: hint }),
      });
    if (held.refreshToken) await revoke(held.refreshToken, 'refresh_token');
    await revoke(held.accessToken, 'access_token');
  } catch {
    // Forgotten already; a failed revocation leaves a token that expires on its own.
  }
}
