import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiError } from './admin-errors.js';

// RFC 8252 7.3: the loopback redirect of `airlock admin login`, on 127.0.0.1 and a port the kernel picks
// (the admin tenant's `airlock-cli` client accepts any port). It takes one redirect to /callback: the
// code when its state is this login's (RFC 6749 10.12) and its iss is the admin tenant's (RFC 9207); any
// other answer ends the login with an error. The browser is told the outcome in plain text.

export interface LoginRedirectReceiver {
  redirectUri: string;
  /** The authorization code, or an ApiError (wrong state or issuer, the auth server's refusal, timeout). */
  code: Promise<string>;
  close(): Promise<void>;
}

export async function startLoginRedirectReceiver(expected: { state: string; issuer: string }, timeoutMs: number): Promise<LoginRedirectReceiver> {
  let settle: { resolve: (code: string) => void; reject: (error: Error) => void } | undefined;
  const code = new Promise<string>((resolve, reject) => (settle = { resolve, reject }));
  // Awaited by the login right away; this only keeps an early refusal from counting as unhandled.
  code.catch(() => undefined);
  const finish = (outcome: string | ApiError) => {
    if (!settle) return;
    if (typeof outcome === 'string') settle.resolve(outcome);
    else settle.reject(outcome);
    settle = undefined;
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback' || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found.');
      return;
    }
    const params = url.searchParams;
    const answer = (status: number, text: string) => res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' }).end(`Airlock: ${text}\n`);
    if (!settle) return answer(409, 'this sign-in is already over. You can close this window.');
    if (params.get('state') !== expected.state) {
      answer(400, 'the sign-in answer does not belong to this login (state mismatch). Run `airlock admin login` again.');
      return finish(new ApiError('invalid_state', 'the redirect to the CLI carried another state than this login sent (an old browser tab, or a forged redirect); nothing was stored, run airlock admin login again'));
    }
    const iss = params.get('iss');
    if (iss !== null && iss !== expected.issuer) {
      answer(400, 'the sign-in answer comes from another issuer. Run `airlock admin login` again.');
      return finish(new ApiError('invalid_issuer', `the redirect names the issuer ${iss}, not ${expected.issuer}; nothing was stored`));
    }
    const error = params.get('error');
    const received = params.get('code');
    if (error !== null || !received) {
      answer(400, 'sign-in failed. You can close this window; the terminal says why.');
      return finish(new ApiError(error ?? 'invalid_response', params.get('error_description') ?? 'the auth server redirected without a code'));
    }
    answer(200, 'signed in. You can close this window.');
    finish(received);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new ApiError('network_error', `cannot listen on 127.0.0.1 for the sign-in redirect: ${error.code ?? error.message}`)));
    server.listen(0, '127.0.0.1', resolve);
  });
  const timer = setTimeout(() => finish(new ApiError('timeout', `no sign-in arrived within ${Math.round(timeoutMs / 1000)} s; run airlock admin login again`)), timeoutMs);
  const { port } = server.address() as AddressInfo;
  return {
    redirectUri: `http://127.0.0.1:${port}/callback`,
    code,
    close: () =>
      new Promise<void>((resolve) => {
        clearTimeout(timer);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
