import { describe, expect, it } from 'vitest';
import { checkRedirectUris, isLoopbackHostname, MAX_REDIRECT_URIS, redirectUriProblem } from './redirect-uri-rules.js';

describe('redirectUriProblem', () => {
  it.each([
    'https://app.example.com/callback',
    'https://app.example.com:8443/cb?x=1',
    'http://localhost/cb',
    'http://localhost:33418/callback',
    'http://127.0.0.1:8080/cb',
    'http://127.10.0.1/cb',
    'http://[::1]:9000/cb',
    'http://app.localhost/cb',
    'com.example.app:/oauth2redirect',
    'com.example.app://callback',
    'HTTPS://APP.EXAMPLE.COM/cb',
  ])('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeUndefined();
  });

  it.each([
    ['javascript:alert(1)', 'forbidden_scheme'],
    ['JavaScript:alert(1)', 'forbidden_scheme'],
    ['javascript://example.com/%0aalert(1)', 'forbidden_scheme'],
    ['data:text/html,<script>x</script>', 'forbidden_scheme'],
    ['data:text/html;base64,PHNjcmlwdD4=', 'forbidden_scheme'],
    ['file:///etc/passwd', 'forbidden_scheme'],
    ['vbscript:msgbox', 'forbidden_scheme'],
    ['blob:https://example.com/uuid', 'forbidden_scheme'],
    ['https://app.example.com/cb#frag', 'fragment'],
    ['https://app.example.com/cb#', 'fragment'],
    ['https://*.example.com/cb', 'wildcard'],
    ['https://app.example.com/*', 'wildcard'],
    ['http://app.example.com/cb', 'http_not_loopback'],
    ['http://10.0.0.1/cb', 'http_not_loopback'],
    ['http://localhost.evil.com/cb', 'http_not_loopback'],
    ['http://127.0.0.1.evil.com/cb', 'http_not_loopback'],
    ['myapp:/callback', 'private_scheme_without_dot'],
    ['myapp://callback', 'private_scheme_without_dot'],
    ['https://user:pass@app.example.com/cb', 'userinfo'],
    ['https://app.example.com@evil.com/cb', 'userinfo'],
    ['/relative/path', 'not_absolute_url'],
    ['app.example.com/cb', 'not_absolute_url'],
    ['', 'not_absolute_url'],
    ['https://app.example.com/c b', 'whitespace_or_control'],
    ['https://app.example.com/cb\n', 'whitespace_or_control'],
    ['https:\\\\evil.com\\cb', 'whitespace_or_control'],
    [`https://app.example.com/${'a'.repeat(3000)}`, 'too_long'],
  ])('refuses %s (%s)', (uri, problem) => {
    expect(redirectUriProblem(uri)).toBe(problem);
  });
});

describe('isLoopbackHostname', () => {
  it('knows loopback from look-alikes', () => {
    expect(isLoopbackHostname('localhost')).toBe(true);
    expect(isLoopbackHostname('[::1]')).toBe(true);
    expect(isLoopbackHostname('127.0.0.1')).toBe(true);
    expect(isLoopbackHostname('128.0.0.1')).toBe(false);
    expect(isLoopbackHostname('localhost.example.com')).toBe(false);
    expect(isLoopbackHostname('0.0.0.0')).toBe(false);
  });
});

describe('checkRedirectUris', () => {
  it('accepts a good list', () => {
    expect(checkRedirectUris(['https://a.example/cb', 'http://localhost:1234/cb'])).toEqual({ ok: true });
  });

  it('refuses a missing, empty, non-array or oversized list', () => {
    expect(checkRedirectUris(undefined).ok).toBe(false);
    expect(checkRedirectUris([]).ok).toBe(false);
    expect(checkRedirectUris('https://a.example/cb').ok).toBe(false);
    expect(checkRedirectUris(Array.from({ length: MAX_REDIRECT_URIS + 1 }, (_, i) => `https://a.example/${i}`)).ok).toBe(false);
  });

  it('names the offending entry without echoing it', () => {
    const verdict = checkRedirectUris(['https://a.example/cb', 'https://secret-token@a.example/cb']);
    expect(verdict.ok).toBe(false);
    expect(verdict.description).toContain('redirect_uris[1]');
    expect(verdict.description).not.toContain('secret-token');
  });

  it('refuses non-string members', () => {
    expect(checkRedirectUris([42]).description).toBe('redirect_uris[0] must be a string');
  });
});
