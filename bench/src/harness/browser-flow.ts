import { createHash, randomBytes } from 'node:crypto';

// A scripted browser for the auth server's own login and consent forms: enough to get a user's tokens
// the real way (authorization code + PKCE), as a person would, without a browser engine.

export class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

/** Sends the jar, stores what comes back, never follows redirects. */
export async function browse(jar: CookieJar, url: string, form?: Record<string, string>): Promise<Response> {
  const headers: Record<string, string> = { cookie: jar.header() };
  if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(url, { method: form ? 'POST' : 'GET', headers, redirect: 'manual', ...(form ? { body: new URLSearchParams(form).toString() } : {}) });
  jar.store(response);
  return response;
}

interface Form {
  action: string;
  fields: Record<string, string>;
}

const unescapeHtml = (value: string) =>
  value.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

/** The POST forms of one of the auth server's pages, with their hidden and prefilled fields. */
export function parseForms(html: string): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/<form\b[^>]*\baction="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const input of (match[2] ?? '').matchAll(/<input\b([^>]*)>/g)) {
      const attributes = input[1] ?? '';
      const name = /\bname="([^"]*)"/.exec(attributes)?.[1];
      if (name) fields[name] = unescapeHtml(/\bvalue="([^"]*)"/.exec(attributes)?.[1] ?? '');
    }
    forms.push({ action: unescapeHtml(match[1] ?? ''), fields });
  }
  return forms;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface UserAuthorization {
  authUrl: string;
  tenant: string;
  clientId: string;
  redirectUri: string;
  resource: string;
  scope: string;
  user: { email: string; password: string };
  /** A browser already signed in (and consented) skips the forms. */
  jar?: CookieJar;
}

/**
 * Signs the user in and approves consent through the HTML forms, then redeems the code (public client,
 * PKCE): returns the token response (access token, and a refresh token when offline_access was granted).
 */
export async function authorizeUser(flow: UserAuthorization): Promise<Record<string, unknown>> {
  const issuer = `${flow.authUrl}/t/${flow.tenant}`;
  const jar = flow.jar ?? new CookieJar();
  const { verifier, challenge } = pkce();
  const query = new URLSearchParams({
    client_id: flow.clientId,
    redirect_uri: flow.redirectUri,
    response_type: 'code',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
    scope: flow.scope,
    resource: flow.resource,
  });
  let response = await browse(jar, `${issuer}/auth?${query}`);
  let callback: URL | undefined;
  for (let step = 0; step < 12 && !callback; step++) {
    if (response.status === 302 || response.status === 303) {
      const location = new URL(response.headers.get('location') ?? '', flow.authUrl);
      if (location.origin !== new URL(flow.authUrl).origin) callback = location;
      else response = await browse(jar, location.href);
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`authorization page ${response.url} answered ${response.status}: ${html.slice(0, 500)}`);
    const forms = parseForms(html);
    const login = forms.find((form) => form.action.endsWith('/login'));
    const confirm = forms.find((form) => form.action.endsWith('/confirm'));
    if (login) response = await browse(jar, new URL(login.action, flow.authUrl).href, { ...login.fields, ...flow.user });
    else if (confirm) response = await browse(jar, new URL(confirm.action, flow.authUrl).href, confirm.fields);
    else throw new Error(`unexpected page during authorization:\n${html.slice(0, 1000)}`);
  }
  const code = callback?.searchParams.get('code');
  if (!code) throw new Error(`authorization ended without a code: ${callback?.href ?? 'no redirect'}`);
  const token = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: flow.redirectUri, code_verifier: verifier, client_id: flow.clientId, resource: flow.resource }),
  });
  const json = (await token.json()) as Record<string, unknown>;
  if (token.status !== 200) throw new Error(`code redemption answered ${token.status}: ${JSON.stringify(json)}`);
  return json;
}
