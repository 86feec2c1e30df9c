import { Html, html, page } from './html.js';

// oidc-provider's end_session pages (RP-initiated logout) in the look and with the headers of the others;
// its defaults load web fonts from a third party and send none of our page headers.

/** `form` is oidc-provider's own markup (an empty form `op.logoutForm` carrying its xsrf value). */
export function logoutPage(options: { tenantName: string; form: string }): string {
  return page({
    title: `Sign out – ${options.tenantName}`,
    brand: `Airlock · ${options.tenantName}`,
    body: html`
<h1>Sign out of ${options.tenantName}?</h1>
<p>You will have to sign in again the next time an application asks for access.</p>
${new Html(options.form)}
<div class="actions"><button type="submit" form="op.logoutForm" name="logout" value="yes" class="primary" autofocus>Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button></div>`,
  });
}

export function loggedOutPage(options: { tenantName: string; clientName?: string | undefined }): string {
  return page({
    title: `Signed out – ${options.tenantName}`,
    brand: `Airlock · ${options.tenantName}`,
    body: html`
<h1>You are signed out</h1>
<p>${options.clientName ? html`You signed out of ${options.tenantName} with <strong>${options.clientName}</strong>.` : html`You signed out of ${options.tenantName}.`} You can close this window.</p>`,
  });
}
