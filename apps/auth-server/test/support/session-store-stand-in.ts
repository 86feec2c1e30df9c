import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSessionRequestSchema, revokeSessionsRequestSchema, Scopes, sessionStoreAudience, type Session } from '@airlock/contracts';
import type { HotStore } from '@airlock/redis';
import { sessionRecordKey } from '@airlock/session-client';
import { createAccessTokenVerifier, type AccessTokenVerifier } from '@airlock/token-verifier';

// The session store's API as the auth server uses it (create, touch, delete, revoke by subject or client), on a
// real port, checking callers' tokens with the same verifier the session store uses. An app's tests
// cannot start another app; the real pair runs in the platform's full-stack tests.

export interface SessionStoreStandIn {
  url: string;
  sessions: Map<string, Session & { tenantSlug: string }>;
  /** Every request: method, path and the token's client_id (undefined when refused). */
  calls: Array<{ method: string; path: string; clientId: string | undefined; status: number }>;
  /** While true every request is answered 503, as when the store's Redis is down. */
  down: boolean;
  /** Where tokens come from (the auth server under test); set before the first call. */
  useIssuer(authPublicUrl: string, hot: HotStore): void;
  live(tenant: string, subject: string, kind?: Session['kind']): Session[];
  close(): Promise<void>;
}

export async function startSessionStoreStandIn(): Promise<SessionStoreStandIn> {
  let verifier: AccessTokenVerifier | undefined;
  let hotStore: HotStore | undefined;
  // Like the session store, an ended session's live record leaves the hot store first (when one is set).
  const dropLive = async (session: Session) => void (await hotStore?.del(sessionRecordKey(session.tenant, session.id)));
  let url = '';
  const sessions: SessionStoreStandIn['sessions'] = new Map();
  const calls: SessionStoreStandIn['calls'] = [];

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    res.statusCode = status;
    if (body !== undefined) res.setHeader('content-type', 'application/json');
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse, record: (status: number, clientId?: string) => void): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const match = /^\/v1\/t\/([^/]+)\/sessions(?:\/([^/]+))?(\/touch)?$/.exec(path);
    if (standIn.down) return record(503), send(res, 503, { error: 'temporarily_unavailable' });
    if (!match || !verifier) return record(404), send(res, 404, { error: 'not_found' });
    const tenant = decodeURIComponent(match[1]!);
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
    let claims;
    try {
      claims = await verifier.verify(token, { tenant, audience: sessionStoreAudience(url) });
    } catch {
      return record(401), send(res, 401, { error: 'invalid_token' });
    }
    const scopes = new Set((claims.scope ?? '').split(' '));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body: unknown = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    const id = match[2] ? decodeURIComponent(match[2]) : undefined;
    const mine = id ? sessions.get(id) : undefined;
    const found = mine && mine.tenantSlug === tenant && mine.state === 'active' ? mine : undefined;
    record(200, claims.client_id);
    if (req.method === 'POST' && id === 'revoke') {
      if (!scopes.has(Scopes.sessionsAdmin)) return send(res, 403, { error: 'insufficient_scope' });
      const request = revokeSessionsRequestSchema.parse(body);
      let revoked = 0;
      for (const session of sessions.values()) {
        const matches = request.subject !== undefined ? session.subject === request.subject : session.clientId === request.clientId;
        if (session.tenantSlug === tenant && session.state === 'active' && matches) {
          Object.assign(session, { state: 'revoked', endedReason: request.reason });
          await dropLive(session);
          revoked += 1;
        }
      }
      return send(res, 200, { revoked });
    }
    if (req.method === 'POST' && !id) {
      const request = createSessionRequestSchema.parse(body);
      const now = new Date();
      const session: Session & { tenantSlug: string } = {
        id: randomBytes(24).toString('base64url'),
        tenant,
        tenantSlug: tenant,
        kind: request.kind,
        subject: request.subject,
        clientId: request.clientId,
        upstreams: [],
        createdAt: now.toISOString(),
        lastSeenAt: now.toISOString(),
        idleTimeoutSeconds: request.idleTimeoutSeconds ?? 1800,
        expiresAt: new Date(now.getTime() + (request.lifetimeSeconds ?? 86_400) * 1000).toISOString(),
        state: 'active',
      };
      sessions.set(session.id, session);
      const { tenantSlug: _slug, ...shown } = session;
      return send(res, 201, shown);
    }
    if (req.method === 'POST' && match[3]) return found ? ((found.lastSeenAt = new Date().toISOString()), send(res, 204)) : send(res, 404, { error: 'not_found' });
    if (req.method === 'DELETE' && found) {
      Object.assign(found, { state: 'revoked', endedReason: (body as { reason?: string }).reason ?? 'revoked' });
      await dropLive(found);
      return send(res, 204);
    }
    return send(res, 404, { error: 'not_found' });
  }

  const server = createServer((req, res) => {
    const entry: SessionStoreStandIn['calls'][number] = { method: req.method ?? '', path: req.url ?? '', clientId: undefined, status: 0 };
    calls.push(entry);
    handle(req, res, (status, clientId) => Object.assign(entry, { status, clientId })).catch(() => send(res, 500, { error: 'server_error' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const standIn: SessionStoreStandIn = {
    url,
    sessions,
    calls,
    down: false,
    useIssuer: (authPublicUrl, hot) => {
      verifier = createAccessTokenVerifier({ issuerBaseUrl: authPublicUrl, hot });
      hotStore = hot;
    },
    live: (tenant, subject, kind) => [...sessions.values()].filter((s) => s.tenantSlug === tenant && s.subject === subject && s.state === 'active' && (!kind || s.kind === kind)),
    close: async () => {
      await verifier?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return standIn;
}
