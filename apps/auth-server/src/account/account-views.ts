import { html, page } from '../interactions/html.js';
import type { Html } from '../interactions/html.js';
import { signInForm } from '../interactions/interaction-views.js';

// Field names (stable): sign-in `email`, `password`, `csrf` (and `totp` on the `admin` tenant); revoke `consent`, `csrf`; sign-out and sign-out-everywhere `csrf`.

export interface AuthorizedClientView {
  consentId: string;
  clientName: string;
  clientId: string;
  redirectHosts: string[];
  scopes: Array<{ scope: string; text: string }>;
  resource: string;
  authorizedAt: Date;
}

export function accountSignInPage(options: { tenantName: string; base: string; csrf: string; email?: string; error?: string | undefined; notice?: string; oneTimeCode?: boolean }): string {
  return page({
    title: `Your account – ${options.tenantName}`,
    brand: `Airlock · ${options.tenantName}`,
    body: html`
<h1>Sign in to manage your authorizations</h1>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
${signInForm({ action: `${options.base}/login`, csrf: options.csrf, email: options.email, error: options.error, oneTimeCode: options.oneTimeCode })}`,
  });
}

export function accountPage(options: {
  tenantName: string;
  email: string;
  base: string;
  csrf: string;
  clients: AuthorizedClientView[];
  notice?: string;
  /** Only an account-page session can be ended here; a sign-in from an authorization lasts its own time. */
  canSignOut: boolean;
  /** Connected accounts at other servers (connect-views.ts), with their Disconnect buttons. */
  connectedAccounts?: Html;
}): string {
  const items = options.clients.map(
    (c) => html`<li class="grant">
<h2>${c.clientName}</h2>
${c.clientName !== c.clientId ? html`<p class="muted"><code>${c.clientId}</code></p>` : ''}
<dl>
<dt>Redirects to</dt><dd>${c.redirectHosts.length > 0 ? c.redirectHosts.map((h, i) => html`${i > 0 ? ', ' : ''}<code>${h}</code>`) : html`<span class="muted">not recorded</span>`}</dd>
<dt>On</dt><dd><code>${c.resource}</code></dd>
<dt>Authorized</dt><dd><time datetime="${c.authorizedAt.toISOString()}">${c.authorizedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC</time></dd>
</dl>
<ul class="list">${c.scopes.map((s) => html`<li>${s.text} <span class="muted">(<code>${s.scope}</code>)</span></li>`)}</ul>
<form method="post" action="${options.base}/revoke">
<input type="hidden" name="csrf" value="${options.csrf}">
<input type="hidden" name="consent" value="${c.consentId}">
<div class="actions"><button type="submit" class="danger" aria-label="Revoke access for ${c.clientName}">Revoke access</button></div>
</form>
</li>`,
  );
  return page({
    title: `Your account – ${options.tenantName}`,
    brand: `Airlock · ${options.tenantName}`,
    body: html`
<h1>Applications you authorized</h1>
<p class="muted">Signed in as ${options.email}</p>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
${options.clients.length === 0
      ? html`<p>You have not authorized any application.</p>`
      : html`<ul class="grants" aria-label="Applications with access to your account">${items}</ul>`}
${options.connectedAccounts ?? ''}
<h2>Sessions</h2>
<p class="muted">Signs you out of every browser and ends every session your applications opened with Airlock.</p>
<form method="post" action="${options.base}/sign-out-everywhere">
<input type="hidden" name="csrf" value="${options.csrf}">
<div class="actions"><button type="submit" class="danger">Sign out everywhere</button></div>
</form>
${options.canSignOut
      ? html`<form method="post" action="${options.base}/logout">
<input type="hidden" name="csrf" value="${options.csrf}">
<div class="actions"><button type="submit">Sign out</button></div>
</form>`
      : ''}`,
  });
}
