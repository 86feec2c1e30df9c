import { html, page } from '../interactions/html.js';
import { signInForm } from '../interactions/interaction-views.js';

// Field names (stable): sign-in `email`, `password`, `csrf`; connect `csrf`; disconnect `server`, `csrf`.

export function connectSignInPage(options: { tenantName: string; serverName: string; base: string; csrf: string; email?: string; error?: string | undefined; oneTimeCode?: boolean }): string {
  return page({
    title: `Connect ${options.serverName} – ${options.tenantName}`,
    brand: `Airlock · ${options.tenantName}`,
    body: html`
<h1>Sign in to connect your ${options.serverName} account</h1>
${signInForm({ action: `${options.base}/login`, csrf: options.csrf, email: options.email, error: options.error, oneTimeCode: options.oneTimeCode })}`,
  });
}

export function connectConfirmPage(options: { tenantName: string; serverName: string; serverUrl: string; email: string; base: string; accountUrl: string; csrf: string; connected: boolean }): string {
  return page({
    title: `Connect ${options.serverName} – ${options.tenantName}`,
    brand: `Airlock · ${options.tenantName}`,
    body: html`
<h1>Connect your ${options.serverName} account</h1>
<p class="muted">Signed in as ${options.email}</p>
<p>Your applications will call this server as you, with a token its own sign-in gives Airlock (your Airlock sign-in is never sent there):</p>
<span class="host">${options.serverUrl}</span>
${options.connected ? html`<p class="notice" role="status">This account is already connected; connecting again replaces it.</p>` : ''}
<p>You continue at that server's sign-in page, then come back here.</p>
<form method="post" action="${options.base}">
<input type="hidden" name="csrf" value="${options.csrf}">
<div class="actions"><button type="submit" class="primary">Connect ${options.serverName}</button></div>
</form>
<p><a href="${options.accountUrl}">Your account</a></p>`,
  });
}

export function connectedPage(options: { tenantName: string; serverName: string; serverUrl: string; scopes: string[]; expiresAt: Date | null; refreshable: boolean; accountUrl: string }): string {
  return page({
    title: `${options.serverName} connected – ${options.tenantName}`,
    brand: `Airlock · ${options.tenantName}`,
    body: html`
<h1 id="connected">Your ${options.serverName} account is connected</h1>
<p>Your applications can now use its tools through Airlock. Go back to your application and try again.</p>
<dl>
<dt>Server</dt><dd><code>${options.serverUrl}</code></dd>
<dt>Access granted</dt><dd>${options.scopes.length > 0 ? html`<ul class="list" aria-label="Granted scopes">${options.scopes.map((scope) => html`<li><code>${scope}</code></li>`)}</ul>` : html`<span class="muted">what the server grants by default (it named no scopes)</span>`}</dd>
<dt>Kept</dt><dd>${options.refreshable ? 'until you disconnect it (Airlock renews the access as needed)' : options.expiresAt ? html`until <time datetime="${options.expiresAt.toISOString()}">${options.expiresAt.toISOString().slice(0, 16).replace('T', ' ')} UTC</time>` : 'until the server ends it'}</dd>
</dl>
<p>You can disconnect it at any time on <a href="${options.accountUrl}">your account page</a>.</p>`,
  });
}

export interface ConnectedAccountView {
  serverId: string;
  serverName: string;
  serverUrl: string | null;
  scopes: string[];
  connectedAt: Date;
}

/** The account page's section: each connected account with a Disconnect button. */
export function connectedAccountsSection(options: { base: string; csrf: string; accounts: ConnectedAccountView[] }) {
  if (options.accounts.length === 0) return html`<h2>Connected accounts</h2><p class="muted">No account at another server is connected.</p>`;
  return html`<h2>Connected accounts</h2>
<ul class="grants" aria-label="Connected accounts">${options.accounts.map(
    (account) => html`<li class="grant">
<h2>${account.serverName}</h2>
<dl>
${account.serverUrl ? html`<dt>Server</dt><dd><code>${account.serverUrl}</code></dd>` : ''}
<dt>Connected</dt><dd><time datetime="${account.connectedAt.toISOString()}">${account.connectedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC</time></dd>
${account.scopes.length > 0 ? html`<dt>Access</dt><dd>${account.scopes.map((scope, i) => html`${i > 0 ? ', ' : ''}<code>${scope}</code>`)}</dd>` : ''}
</dl>
<form method="post" action="${options.base}/disconnect">
<input type="hidden" name="csrf" value="${options.csrf}">
<input type="hidden" name="server" value="${account.serverId}">
<div class="actions"><button type="submit" class="danger" aria-label="Disconnect ${account.serverName}">Disconnect</button></div>
</form>
</li>`,
  )}</ul>`;
}
