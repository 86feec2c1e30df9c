import { describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, escapeHtml, html, Html, page } from './html.js';

describe('html', () => {
  it('escapes every interpolated value, in text and attributes', () => {
    const evil = `"><script>alert('x')</script>&\``;
    const out = html`<p title="${evil}">${evil}</p>`.value;
    expect(out).toBe('<p title="&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;">&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&#96;</p>');
    expect(escapeHtml(undefined)).toBe('');
  });

  it('passes trusted fragments and arrays of them through', () => {
    expect(html`<ul>${['a', 'b'].map((x) => html`<li>${x}</li>`)}</ul>`.value).toBe('<ul><li>a</li><li>b</li></ul>');
    expect(html`${new Html('<b>ok</b>')}`.value).toBe('<b>ok</b>');
  });

  it('renders a page whose only style is allowed by hash and which has no script', () => {
    const out = page({ title: 'T', brand: 'B', body: html`<p>x</p>` });
    expect(out).toMatch(/^<!doctype html>/);
    expect(out).not.toMatch(/<script/i);
    expect(CONTENT_SECURITY_POLICY).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-inline');
  });
});
