import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { exportJWK, generateKeyPair, SignJWT, decodeJwt, decodeProtectedHeader, type JWK } from 'jose';

// A second, independent OpenID provider for federation tests: a bare oidc-provider configured as an
// enterprise IdP would be (one confidential client for Airlock, PKCE required, users with passwords and
// groups, signed ID tokens carrying email and groups), behind a small front server on its own port. The
// front can tamper with the token endpoint's ID token, to test what Airlock refuses.

export interface IdpUser {
  password: string;
  email: string;
  emailVerified: boolean;
  name: string;
  groups: string[];
}

/** How the front rewrites the ID token of the next token responses (`honest`: untouched). */
export type IdTokenTamper = 'honest' | 'wrong-key' | 'alg-none' | 'wrong-aud' | 'expired' | 'wrong-iss' | 'wrong-nonce';

export interface EnterpriseIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  users: Map<string, IdpUser>;
  tamper: IdTokenTamper;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function loginForm(uid: string, error = ''): string {
  return `<!doctype html><title>Corp sign-in</title>${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login"><input name="username"><input name="password" type="password"><button>Sign in</button></form>`;
}

export async function startEnterpriseIdp(options: { redirectUri: string }): Promise<EnterpriseIdp> {
  const clientId = 'airlock';
  const clientSecret = 'corp-idp-client-secret-0123456789';
  const users = new Map<string, IdpUser>();
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), kid: 'corp-1', alg: 'RS256', use: 'sig' };
  const stranger = (await generateKeyPair('RS256')).privateKey;

  const front = createServer();
  const inner = createServer();
  const frontPort = await listen(front);
  const issuer = `http://127.0.0.1:${frontPort}`;
  const state = { tamper: 'honest' as IdTokenTamper };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [options.redirectUri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [signingJwk] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    // Claims in the ID token itself, as enterprise IdPs configure groups.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['corp-idp-cookie-key'] },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => {
      const user = users.get(sub);
      if (!user) return undefined;
      return { accountId: sub, claims: () => ({ sub, email: user.email, email_verified: user.emailVerified, name: user.name, groups: [...user.groups] }) };
    },
  });
  const callback = provider.callback();

  inner.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer);
    const match = /^\/interaction\/([^/]+)(\/login)?$/.exec(url.pathname);
    if (!match) return void callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      if (!match[2]) {
        res.setHeader('content-type', 'text/html');
        res.end(loginForm(details.uid));
        return;
      }
      const form = new URLSearchParams(await readBody(req));
      const username = form.get('username') ?? '';
      if (users.get(username)?.password !== form.get('password')) {
        res.statusCode = 401;
        res.setHeader('content-type', 'text/html');
        res.end(loginForm(details.uid, 'Wrong username or password'));
        return;
      }
      const grant = new provider.Grant({ accountId: username, clientId });
      grant.addOIDCScope('openid email profile groups');
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { login: { accountId: username }, consent: { grantId } }, { mergeWithLastSubmission: false });
    })().catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });
  const innerPort = await listen(inner);

  async function tampered(body: string): Promise<string> {
    const json = JSON.parse(body) as Record<string, unknown>;
    const idToken = typeof json['id_token'] === 'string' ? json['id_token'] : undefined;
    if (!idToken || state.tamper === 'honest') return body;
    const claims = decodeJwt(idToken);
    const header = decodeProtectedHeader(idToken);
    const now = Math.floor(Date.now() / 1000);
    let replaced: string;
    if (state.tamper === 'alg-none') {
      replaced = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    } else {
      const changed = { ...claims };
      if (state.tamper === 'wrong-aud') changed.aud = 'someone-else';
      if (state.tamper === 'expired') Object.assign(changed, { iat: now - 7200, exp: now - 3600 });
      if (state.tamper === 'wrong-iss') changed.iss = 'http://127.0.0.1:1';
      if (state.tamper === 'wrong-nonce') changed['nonce'] = 'not-the-one-airlock-sent';
      const key = state.tamper === 'wrong-key' ? stranger : privateKey;
      replaced = await new SignJWT(changed).setProtectedHeader({ alg: 'RS256', kid: header.kid ?? 'corp-1' }).sign(key);
    }
    return JSON.stringify({ ...json, id_token: replaced });
  }

  front.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const proxied = httpRequest({ host: '127.0.0.1', port: innerPort, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      if (!req.url?.startsWith('/token') || answer.statusCode !== 200) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      void readBody(answer)
        .then(tampered)
        .then((body) => {
          const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(body)) };
          res.writeHead(200, headers);
          res.end(body);
        });
    });
    proxied.once('error', () => res.destroy());
    req.pipe(proxied);
  });

  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    issuer,
    clientId,
    clientSecret,
    users,
    get tamper() {
      return state.tamper;
    },
    set tamper(value: IdTokenTamper) {
      state.tamper = value;
    },
    close: async () => {
      await close(front);
      await close(inner);
    },
  };
}
