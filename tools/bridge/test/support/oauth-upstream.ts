import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK } from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

// A third-party MCP server that needs the user's own account, as connected accounts meet it: its own
// authorization server (a bare oidc-provider: resource indicators on, JWT access tokens with a short
// lifetime, refresh tokens, dynamic registration, revocation, PKCE required), and an MCP server (SDK
// McpServer over Streamable HTTP) that answers 401 with RFC 9728 metadata, verifies each token's signature,
// audience and expiry against that authorization server, and records every Authorization header it saw.

export const UPSTREAM_SCOPE = 'notes:read';

export interface OAuthUpstream {
  /** The MCP endpoint (the resource). */
  url: string;
  issuer: string;
  /** Users of the upstream authorization server: id -> password. */
  users: Map<string, string>;
  /** Every Authorization header the MCP server received, in order. */
  seen: string[];
  /** Tool calls the MCP server ran with a valid token, by the token's subject. */
  calls: string[];
  /** Successful refresh_token grants at the authorization server. */
  refreshes: number;
  /** Successful code grants. */
  codeGrants: number;
  /** Revocation requests answered 200 (RFC 7009). */
  revocations: number;
  /** Clients registered dynamically. */
  registrations: number;
  /** Access tokens the MCP server refuses (401) although they are valid: as if revoked upstream. */
  refused: Set<string>;
  /** While true, the token endpoint refuses every request with invalid_grant (a refresh token revoked upstream). */
  failTokenRequests: boolean;
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

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

const page = (body: string) => `<!doctype html><title>Notes sign-in</title>${body}`;

export async function startOAuthUpstream(options: { accessTokenTtlSeconds: number }): Promise<OAuthUpstream> {
  const asServer = createServer();
  const mcpServer = createServer();
  const asPort = await listen(asServer);
  const mcpPort = await listen(mcpServer);
  const issuer = `http://127.0.0.1:${asPort}`;
  const resource = `http://127.0.0.1:${mcpPort}/mcp`;
  const state: OAuthUpstream = { url: resource, issuer, users: new Map([['alice', 'alice-password']]), seen: [], calls: [], refreshes: 0, codeGrants: 0, revocations: 0, registrations: 0, refused: new Set(), failTokenRequests: false, close: async () => undefined };

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const signingJwk: JWK = { ...(await exportJWK(privateKey)), kid: 'notes-1', alg: 'RS256', use: 'sig' };
  const provider = new Provider(issuer, {
    jwks: { keys: [signingJwk] },
    // Distinct names: a browser keeps one cookie jar per host, whatever the port (Airlock runs on 127.0.0.1 too).
    cookies: { keys: ['notes-cookie-key'], names: { session: 'notes_session', interaction: 'notes_interaction', resume: 'notes_resume' } },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false },
      registration: { enabled: true },
      revocation: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== resource) throw new Error('unknown resource');
          return { scope: UPSTREAM_SCOPE, audience: resource, accessTokenTTL: options.accessTokenTtlSeconds, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
        },
      },
    },
    // Refresh tokens without offline_access (what MCP authorization servers commonly do).
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    ttl: { RefreshToken: 3600, Grant: 3600, Session: 3600, Interaction: 600, AuthorizationCode: 60 },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, sub) => (state.users.has(sub) ? { accountId: sub, claims: () => ({ sub }) } : undefined),
  });
  provider.on('grant.success', (ctx) => {
    const grantType = (ctx.oidc.params as Record<string, unknown> | undefined)?.['grant_type'];
    if (grantType === 'refresh_token') state.refreshes += 1;
    if (grantType === 'authorization_code') state.codeGrants += 1;
  });
  provider.on('registration_create.success', () => void (state.registrations += 1));
  const callback = provider.callback();

  asServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', issuer);
    if (req.method === 'POST' && url.pathname === '/token' && state.failTokenRequests) {
      res.statusCode = 400;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'grant request is invalid' }));
      return;
    }
    if (req.method === 'POST' && url.pathname === '/token/revocation') res.on('finish', () => void (res.statusCode === 200 && (state.revocations += 1)));
    const match = /^\/interaction\/([^/]+)(\/login|\/consent)?$/.exec(url.pathname);
    if (!match) return void callback(req, res);
    void (async () => {
      const details = await provider.interactionDetails(req, res);
      res.setHeader('content-type', 'text/html');
      if (!match[2]) {
        if (details.prompt.name === 'login') {
          res.end(page(`<form method="post" action="/interaction/${details.uid}/login"><input name="username"><input name="password" type="password"><button>Sign in</button></form>`));
        } else {
          res.end(page(`<p>Airlock wants to read your notes (${UPSTREAM_SCOPE}).</p><form method="post" action="/interaction/${details.uid}/consent"><input type="hidden" name="allow" value="yes"><button>Allow</button></form>`));
        }
        return;
      }
      const form = new URLSearchParams(await readBody(req));
      if (match[2] === '/login') {
        const username = form.get('username') ?? '';
        if (state.users.get(username) !== form.get('password')) {
          res.statusCode = 401;
          res.end(page('<p role="alert">Wrong username or password</p>'));
          return;
        }
        await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
        return;
      }
      const grant = new provider.Grant({ accountId: details.session!.accountId, clientId: details.params['client_id'] as string });
      grant.addResourceScope(resource, UPSTREAM_SCOPE);
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    })().catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });

  // The MCP server: RFC 9728 metadata, then every request checked like a real resource server would.
  const metadataUrl = `http://127.0.0.1:${mcpPort}/.well-known/oauth-protected-resource/mcp`;
  const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
  mcpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const url = new URL(req.url ?? '/', resource);
      if (url.pathname === '/.well-known/oauth-protected-resource/mcp') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ resource, authorization_servers: [issuer], scopes_supported: [UPSTREAM_SCOPE], bearer_methods_supported: ['header'] }));
        return;
      }
      if (url.pathname !== '/mcp') {
        res.statusCode = 404;
        res.end();
        return;
      }
      const header = req.headers.authorization;
      if (header) state.seen.push(header);
      let subject: string;
      try {
        if (!header?.startsWith('Bearer ')) throw new Error('no token');
        if (state.refused.has(header.slice('Bearer '.length))) throw new Error('refused');
        const { payload } = await jwtVerify(header.slice('Bearer '.length), jwks, { issuer, audience: resource, algorithms: ['RS256'] });
        if (!String(payload['scope'] ?? '').split(' ').includes(UPSTREAM_SCOPE)) throw new Error('scope');
        subject = String(payload.sub);
      } catch {
        res.statusCode = 401;
        res.setHeader('www-authenticate', `Bearer resource_metadata="${metadataUrl}", scope="${UPSTREAM_SCOPE}"`);
        res.end();
        return;
      }
      const server = new McpServer({ name: 'notes', version: '1.0.0' });
      server.registerTool('whoami', { description: 'Says whose notes these are' }, async () => {
        state.calls.push(subject);
        return { content: [{ type: 'text', text: `notes of ${subject}` }] };
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      res.on('close', () => void transport.close());
      await server.connect(transport);
      await transport.handleRequest(req, res);
    })().catch((error: unknown) => {
      res.statusCode = 500;
      res.end(String(error));
    });
  });

  const close = (server: Server) =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  state.close = async () => {
    await close(mcpServer);
    await close(asServer);
  };
  return state;
}
