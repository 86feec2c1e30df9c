import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createFixtureServer } from './fixture-server.js';
import type { FixtureOptions } from './fixture-server.js';
import { isLoopbackBind, jsonRpcError, listenFixture, readBody } from './kit/node-http.js';
import { MemoryEventStore } from './memory-event-store.js';

export interface FixtureHttpOptions extends FixtureOptions {
  port: number;
  host?: string;
  /** URL path of the endpoint, default `/mcp`. */
  path?: string;
}

export interface FixtureHttpHandle {
  url: string;
  /** Live sessions, for tests that check an upstream session was closed. */
  sessionCount(): number;
  close(): Promise<void>;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function hostname(hostHeader: string): string {
  // `[::1]:3000` keeps its brackets; `localhost:3000` loses the port.
  const match = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(hostHeader);
  return (match?.[1] ?? '').toLowerCase();
}

/** DNS-rebinding defence for a loopback bind: Host and (when sent) Origin must name the loopback. */
function loopbackRequest(req: IncomingMessage): boolean {
  if (!LOOPBACK_HOSTS.has(hostname(req.headers.host ?? ''))) return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return URL.canParse(origin) && LOOPBACK_HOSTS.has(new URL(origin).hostname.toLowerCase());
}

async function readJson(req: IncomingMessage): Promise<{ ok: true; body: unknown } | { ok: false; status: number; code: number; message: string }> {
  const body = await readBody(req);
  if (body === 'too-large') return { ok: false, status: 413, code: -32600, message: 'Request body too large' };
  try {
    return { ok: true, body: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false, status: 400, code: -32700, message: 'Parse error' };
  }
}

/**
 * Streamable HTTP host for the fixture: one SDK transport and one fixture server per MCP session, each
 * with an event store so SEP-1699 polling and Last-Event-ID resumption work.
 */
export async function startFixtureHttp(options: FixtureHttpOptions): Promise<FixtureHttpHandle> {
  const path = options.path ?? '/mcp';
  const host = options.host ?? '127.0.0.1';
  const loopbackBind = isLoopbackBind(host);
  const transports = new Map<string, StreamableHTTPServerTransport>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fixture.invalid');
    if (url.pathname !== path) return jsonRpcError(res, 404, -32000, 'Not found');
    if (loopbackBind && !loopbackRequest(req)) return jsonRpcError(res, 403, -32000, 'Forbidden: Host or Origin is not a loopback name');

    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;

    if (req.method === 'POST') {
      const parsed = await readJson(req);
      if (!parsed.ok) return jsonRpcError(res, parsed.status, parsed.code, parsed.message);
      if (existing) return existing.handleRequest(req, res, parsed.body);
      if (sessionId !== undefined) return jsonRpcError(res, 404, -32001, 'Session not found');
      if (!isInitializeRequest(parsed.body)) return jsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        eventStore: new MemoryEventStore(),
        retryInterval: 500,
        onsessioninitialized: (id) => void transports.set(id, transport),
        onsessionclosed: (id) => void transports.delete(id),
      });
      transport.onclose = () => {
        if (transport.sessionId) transports.delete(transport.sessionId);
      };
      await createFixtureServer(options).connect(transport);
      return transport.handleRequest(req, res, parsed.body);
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      if (existing) return existing.handleRequest(req, res);
      if (sessionId === undefined) return jsonRpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      return jsonRpcError(res, 404, -32001, 'Session not found');
    }
    res.writeHead(405, { allow: 'GET, POST, DELETE' }).end();
  };

  const listening = await listenFixture({ port: options.port, host, path }, handle);
  return {
    url: listening.url,
    sessionCount: () => transports.size,
    close: () => listening.close(async () => void (await Promise.all([...transports.values()].map((transport) => transport.close().catch(() => undefined))))),
  };
}
