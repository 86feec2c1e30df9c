import { createHash, randomBytes } from 'node:crypto';

// A scripted browser for our own server-rendered pages: a cookie jar, requests that never follow
// redirects, and the forms of a page.

/** A browser's cookie jar, enough for these flows (paths ignored, expiry honoured). */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /expires=thu, 01 jan 1970/i.test(a));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** A browser-ish request: sends the jar, stores what comes back, never follows redirects. */
export async function browse(jar: CookieJar, url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
  const headers: Record<string, string> = { cookie: jar.header() };
  let body: string | undefined;
  if (init.form) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const response = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
  jar.store(response);
  return response;
}

export interface ParsedForm {
  action: string;
  fields: Record<string, string>;
}

/** The forms of one of our own pages (our markup: one attribute order, no nesting). */
export function parseForms(html: string): ParsedForm[] {
  const forms: ParsedForm[] = [];
  for (const match of html.matchAll(/<form method="post" action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const input of match[2]!.matchAll(/<input ([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
      const value = /value="([^"]*)"/.exec(input[1]!)?.[1] ?? '';
      if (name) fields[name] = value.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>');
    }
    forms.push({ action: match[1]!.replaceAll('&amp;', '&'), fields });
  }
  return forms;
}

export function formFor(html: string, actionSuffix: string): ParsedForm {
  const form = parseForms(html).find((f) => f.action.endsWith(actionSuffix));
  if (!form) throw new Error(`no form posting to *${actionSuffix} in:\n${html.slice(0, 2000)}`);
  return form;
}

export function pkce(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}
