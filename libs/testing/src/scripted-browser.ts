// A minimal scripted browser for the auth server's login and consent pages: cookies, redirects followed
// by hand, and the two forms filled in. It stops at the first redirect that leaves the auth server (the
// client's redirect URI) and returns it.

class CookieJar {
  private readonly cookies = new Map<string, string>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

const unescape = (value: string) => value.replaceAll('&amp;', '&').replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>');

function forms(html: string): Array<{ action: string; fields: Record<string, string> }> {
  return [...html.matchAll(/<form[^>]*method="post"[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/gi)].map((match) => {
    const fields: Record<string, string> = {};
    for (const input of match[2]!.matchAll(/<input ([^>]*)>/g)) {
      const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
      if (name) fields[name] = unescape(/value="([^"]*)"/.exec(input[1]!)?.[1] ?? '');
    }
    return { action: unescape(match[1]!), fields };
  });
}

/** Signs in as `user` and approves, starting at an authorization URL; returns the final redirect. */
export async function signInAndApprove(authorizationUrl: URL, user: { email: string; password: string }): Promise<URL> {
  const jar = new CookieJar();
  const origin = authorizationUrl.origin;
  const go = async (url: string, form?: Record<string, string>) => {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      headers: { cookie: jar.header(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
      redirect: 'manual',
    });
    jar.store(response);
    return response;
  };
  let response = await go(authorizationUrl.href);
  for (let step = 0; step < 12; step++) {
    if (response.status >= 300 && response.status < 400) {
      const location = new URL(response.headers.get('location')!, origin);
      if (location.origin !== origin) return location;
      response = await go(location.href);
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`auth server answered ${response.status}: ${html.slice(0, 300)}`);
    const page = forms(html);
    const login = page.find((form) => form.action.endsWith('/login'));
    const confirm = page.find((form) => form.action.endsWith('/confirm'));
    if (login) response = await go(new URL(login.action, origin).href, { ...login.fields, ...user });
    else if (confirm) response = await go(new URL(confirm.action, origin).href, confirm.fields);
    else throw new Error(`unexpected page: ${html.slice(0, 500)}`);
  }
  throw new Error('the authorization did not finish');
}
