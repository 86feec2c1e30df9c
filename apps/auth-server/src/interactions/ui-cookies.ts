import type { IncomingHttpHeaders } from 'node:http';

/**
 * Cookies of the login, consent and account pages. Over https they are `__Host-` prefixed, Secure,
 * HttpOnly, SameSite=Lax, Path=/ and host-only. Over plain http (development on localhost) browsers
 * refuse `__Host-` and Secure cookies, so the same cookie goes without the prefix and without Secure;
 * everything else is identical. The choice follows AUTH_PUBLIC_URL's scheme, never the request.
 */
export class UiCookies {
  constructor(private readonly secure: boolean) {}

  name(base: string): string {
    return this.secure ? `__Host-${base}` : base;
  }

  serialize(base: string, value: string, options: { maxAgeSeconds?: number } = {}): string {
    const parts = [`${this.name(base)}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
    if (this.secure) parts.push('Secure');
    if (options.maxAgeSeconds !== undefined) parts.push(`Max-Age=${options.maxAgeSeconds}`);
    return parts.join('; ');
  }

  clear(base: string): string {
    return this.serialize(base, '', { maxAgeSeconds: 0 });
  }

  read(headers: IncomingHttpHeaders, base: string): string | undefined {
    const wanted = this.name(base);
    for (const part of (headers.cookie ?? '').split(';')) {
      const index = part.indexOf('=');
      if (index < 0) continue;
      if (part.slice(0, index).trim() === wanted) return part.slice(index + 1).trim();
    }
    return undefined;
  }
}
