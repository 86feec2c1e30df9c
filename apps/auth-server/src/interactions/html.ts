import { createHash } from 'node:crypto';

// Server-rendered pages without a template engine: every dynamic value goes through `escapeHtml`
// (text and attribute context alike), the markup is static, and there is no script at all.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ESCAPES[c]!);
}

/** A trusted fragment of markup; only this module's helpers and the views create one. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

/** Tagged template: interpolated values are escaped unless they are Html (or arrays of Html). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(value);
}

const CSS = `
:root{color-scheme:light dark;--bg:#f5f6f8;--card:#fff;--text:#1b1f24;--muted:#57606a;--border:#d0d7de;--accent:#0b5cad;--accent-text:#fff;--warn-bg:#fff8e1;--warn-border:#d4a72c;--danger:#b42318;--focus:#ffbf47}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9da7b3;--border:#30363d;--accent:#4493f8;--accent-text:#0d1117;--warn-bg:#2d2410;--warn-border:#9e6a03;--danger:#f85149}}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:var(--bg);color:var(--text)}
main{max-width:34rem;margin:3rem auto;padding:0 1rem}
.card{background:var(--card);border:1px solid var(--border);border-radius:12px;padding:2rem}
.brand{font-size:.875rem;color:var(--muted);margin:0 0 1rem;letter-spacing:.02em}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1rem;margin:1.5rem 0 .5rem}
p{margin:.5rem 0}
.muted{color:var(--muted);font-size:.875rem}
label{display:block;font-weight:600;margin:1rem 0 .25rem}
input[type=email],input[type=password],input[type=text]{width:100%;padding:.625rem .75rem;font:inherit;color:inherit;background:transparent;border:1px solid var(--border);border-radius:8px}
.actions{display:flex;gap:.75rem;margin-top:1.5rem;flex-wrap:wrap}
button{font:inherit;font-weight:600;padding:.625rem 1.25rem;border-radius:8px;border:1px solid var(--border);background:transparent;color:inherit;cursor:pointer}
button.primary{background:var(--accent);border-color:var(--accent);color:var(--accent-text)}
button.danger{color:var(--danger);border-color:var(--danger)}
a{color:var(--accent)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.host{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:1.125rem;font-weight:700;word-break:break-all;display:block;padding:.5rem .75rem;margin:.25rem 0;background:var(--bg);border-left:4px solid var(--accent);border-radius:4px}
.notice{border:1px solid var(--accent);border-radius:8px;padding:.75rem 1rem;margin:1rem 0}
ul.grants{list-style:none;padding:0;margin:1rem 0}
li.grant{border:1px solid var(--border);border-radius:10px;padding:1rem 1.25rem;margin:0 0 1rem}
li.grant h2{margin:0 0 .25rem}
dl{margin:.5rem 0;display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dt{color:var(--muted);font-size:.875rem}
dd{margin:0}
.warning{background:var(--warn-bg);border:1px solid var(--warn-border);border-radius:8px;padding:.75rem 1rem;margin:1rem 0}
.error{border:1px solid var(--danger);color:var(--danger);border-radius:8px;padding:.75rem 1rem;margin:1rem 0}
ul.list{padding-left:1.25rem;margin:.25rem 0}
ul.list li{margin:.25rem 0}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.875em;word-break:break-all}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`.trim();

const CSS_HASH = `sha256-${createHash('sha256').update(CSS).digest('base64')}`;

/**
 * No scripts, styles only from the one inline block (by hash), no framing. `form-action` is left out on
 * purpose: browsers apply it to the redirect after a POST, which is how the client gets its code.
 */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src '${CSS_HASH}'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'`;

export function page(options: { title: string; brand: string; body: Html; lang?: string }): string {
  return html`<!doctype html>
<html lang="${options.lang ?? 'en'}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>${options.title}</title>
<style>${new Html(CSS)}</style>
</head>
<body>
<main id="main">
<div class="card">
<p class="brand">${options.brand}</p>
${options.body}
</div>
</main>
</body>
</html>`.value;
}
