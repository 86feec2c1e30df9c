import { html, page } from './html.js';
import type { Html } from './html.js';

// The login and consent pages. Form field names are a stable contract (tests and the SDK end-to-end
// test submit them): login `email`, `password`, `csrf`; confirm `csrf`; abort `csrf`.

export interface LoginView {
  tenantName: string;
  clientName: string;
  actionBase: string;
  csrf: string;
  email?: string;
  error?: string | undefined;
  /** Ask for a TOTP code too (the `admin` tenant's people). */
  oneTimeCode?: boolean;
  /** The tenant's identity providers, one sign-in button each (posted to `<actionBase>/federation/<slug>`). */
  providers?: Array<{ slug: string; displayName: string }>;
  /** False when the tenant switched local passwords off: the form asks only for the email (home-realm discovery). */
  passwords?: boolean;
}

/** The email and password form (fields `email`, `password`, `csrf`), with its error; the login and account pages share it. */
export function signInForm(options: { action: string; csrf: string; email?: string | undefined; error?: string | undefined; oneTimeCode?: boolean | undefined; passwords?: boolean | undefined }): Html {
  const passwords = options.passwords ?? true;
  return html`${options.error ? html`<div class="error" role="alert" id="login-error">${options.error}</div>` : ''}
<form method="post" action="${options.action}" novalidate${options.error ? html` aria-describedby="login-error"` : ''}>
<input type="hidden" name="csrf" value="${options.csrf}">
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="username" required autofocus value="${options.email ?? ''}" maxlength="320">
${passwords
    ? html`<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">`
    : html`<p class="muted">Enter your work email: you will continue at your organization’s sign-in.</p>`}
${passwords && options.oneTimeCode
    ? html`<label for="totp">One-time code from your authenticator app</label>
<input id="totp" name="totp" type="text" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" required maxlength="6">`
    : ''}
<div class="actions"><button type="submit" class="primary">${passwords ? 'Sign in' : 'Continue'}</button></div>
</form>`;
}

export function loginPage(view: LoginView): string {
  const body: Html = html`
<h1>Sign in to ${view.tenantName}</h1>
<p>to continue to <strong>${view.clientName}</strong></p>
${signInForm({ action: `${view.actionBase}/login`, csrf: view.csrf, email: view.email, error: view.error, oneTimeCode: view.oneTimeCode, passwords: view.passwords })}
${(view.providers ?? []).map(
  (p) => html`<form method="post" action="${view.actionBase}/federation/${p.slug}">
<input type="hidden" name="csrf" value="${view.csrf}">
<div class="actions"><button type="submit">Sign in with ${p.displayName}</button></div>
</form>`,
)}
<form method="post" action="${view.actionBase}/abort">
<input type="hidden" name="csrf" value="${view.csrf}">
<div class="actions"><button type="submit">Cancel and return to the application</button></div>
</form>`;
  return page({ title: `Sign in – ${view.tenantName}`, brand: `Airlock · ${view.tenantName}`, body });
}

export interface ConsentView {
  tenantName: string;
  clientName: string;
  clientId: string;
  /** metadata_document and dynamic clients registered themselves: nobody vouched for them. */
  unverified: boolean;
  redirectHost: string;
  scopes: Array<{ scope: string; text: string }>;
  resource: { url: string; label: string } | undefined;
  tools: Array<{ server: string; name: string; title: string | null }>;
  toolsTotal: number;
  accountUrl: string;
  userEmail: string;
  actionBase: string;
  csrf: string;
}

export function consentPage(view: ConsentView): string {
  const body: Html = html`
<h1><span id="client-name">${view.clientName}</span> wants access to your account</h1>
<p class="muted">Signed in as ${view.userEmail}</p>
<h2 id="redirect-heading">You will be sent back to</h2>
<p><span class="host" aria-labelledby="redirect-heading">${view.redirectHost}</span></p>
${view.unverified
    ? html`<div class="warning" role="note"><strong>This application is not verified by ${view.tenantName}.</strong> It identified itself as “${view.clientName}” (<code>${view.clientId}</code>). Only continue if you started this and you trust <strong>${view.redirectHost}</strong>.</div>`
    : ''}
<h2>It will be able to</h2>
<ul class="list">${view.scopes.map((s) => html`<li>${s.text} <span class="muted">(<code>${s.scope}</code>)</span></li>`)}</ul>
${view.resource ? html`<h2>On</h2><p>${view.resource.label}<br><code class="muted">${view.resource.url}</code></p>` : ''}
${view.resource && view.toolsTotal > 0
    ? html`<h2>Tools this unlocks (${view.toolsTotal})</h2>
<ul class="list">${view.tools.map((t) => html`<li><code>${t.server}/${t.name}</code>${t.title ? html` – ${t.title}` : ''}</li>`)}</ul>
${view.toolsTotal > view.tools.length ? html`<p class="muted">and ${view.toolsTotal - view.tools.length} more</p>` : ''}`
    : ''}
<p class="muted">Your decision is remembered for this application. You can revoke it at any time on <a href="${view.accountUrl}">your account page</a>.</p>
<div class="actions">
<form method="post" action="${view.actionBase}/confirm">
<input type="hidden" name="csrf" value="${view.csrf}">
<button type="submit" class="primary">Allow</button>
</form>
<form method="post" action="${view.actionBase}/abort">
<input type="hidden" name="csrf" value="${view.csrf}">
<button type="submit" class="danger">Deny</button>
</form>
</div>`;
  return page({ title: `Authorize ${view.clientName} – ${view.tenantName}`, brand: `Airlock · ${view.tenantName}`, body });
}

export function messagePage(options: { tenantName: string; title: string; message: string }): string {
  return page({
    title: options.title,
    brand: `Airlock · ${options.tenantName}`,
    body: html`<h1>${options.title}</h1><p>${options.message}</p>`,
  });
}
