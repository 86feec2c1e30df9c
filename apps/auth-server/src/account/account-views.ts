import { html, page } from '../interactions/html.js';

// Field names (stable): sign-in `email`, `password`, `csrf`; revoke `consent`, `csrf`; sign-out `csrf`.

export interface AuthorizedClientView {
  consentId: string;
  clientName: string;
  clientId: string;
  redirectHosts: string[];
  scopes: Array<{ scope: string; text: string }>;
  resource: string;
  authorizedAt: Date;
}

export function accountSignInPage(options: { tenantName: string; base: string; csrf: string; email?: string; error?: string }): string {
  return page({
    title: `Your account – ${options.tenantName}`,
    brand: `Airlock · ${options.tenantName}`,
    body: html`
<h1>Sign in to manage your authorizations</h1>
${options.error ? html`<div class="error" role="alert" id="login-error">${options.error}</div>` : ''}
<form method="post" action="${options.base}/login">
<input type="hidden" name="csrf" value="${options.csrf}">
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="username" required autofocus value="${options.email ?? ''}" maxlength="320">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">
<div class="actions"><button type="submit" class="primary">Sign in</button></div>
</form>`,
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
}): string {
  const rows = options.clients.map(
    (c) => html`<tr>
<td><strong>${c.clientName}</strong>${c.clientName !== c.clientId ? html`<br><code class="muted">${c.clientId}</code>` : ''}</td>
<td>${c.redirectHosts.length > 0 ? c.redirectHosts.map((h) => html`<code>${h}</code><br>`) : html`<span class="muted">–</span>`}</td>
<td><ul class="list">${c.scopes.map((s) => html`<li>${s.text} <span class="muted">(<code>${s.scope}</code>)</span></li>`)}</ul><code class="muted">${c.resource}</code></td>
<td><time datetime="${c.authorizedAt.toISOString()}">${c.authorizedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC</time></td>
<td><form method="post" action="${options.base}/revoke">
<input type="hidden" name="csrf" value="${options.csrf}">
<input type="hidden" name="consent" value="${c.consentId}">
<button type="submit" class="danger" aria-label="Revoke access for ${c.clientName}">Revoke</button>
</form></td>
</tr>`,
  );
  return page({
    title: `Your account – ${options.tenantName}`,
    brand: `Airlock · ${options.tenantName}`,
    body: html`
<h1>Applications you authorized</h1>
<p class="muted">Signed in as ${options.email}</p>
${options.notice ? html`<p role="status">${options.notice}</p>` : ''}
${options.clients.length === 0
      ? html`<p>You have not authorized any application.</p>`
      : html`<table>
<caption class="sr-only">Applications with access to your account</caption>
<thead><tr><th scope="col">Application</th><th scope="col">Redirects to</th><th scope="col">Access</th><th scope="col">Authorized</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
<tbody>${rows}</tbody>
</table>`}
${options.canSignOut
      ? html`<form method="post" action="${options.base}/logout">
<input type="hidden" name="csrf" value="${options.csrf}">
<div class="actions"><button type="submit">Sign out</button></div>
</form>`
      : ''}`,
  });
}
