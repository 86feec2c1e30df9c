import { Agent, request } from 'undici';

// A minimal MCP Streamable HTTP client for load: initialize, the initialized notification, then requests
// on the session, reading JSON or SSE responses. The SDK client does far more per call (schema
// validation, timers) and would measure itself rather than the server.

const PROTOCOL_VERSION = '2025-11-25';

export interface McpLoadSession {
  id: string;
  call(method: string, params: unknown): Promise<unknown>;
  /** Opens the session's standalone SSE stream (GET) and leaves it open, idle, until close(). */
  openStream(): Promise<void>;
  close(): Promise<void>;
}

export interface McpLoadClientOptions {
  url: string;
  headers?: Record<string, string>;
  connections: number;
  /** HTTP/2 without TLS, prior knowledge (a gateway started with HTTP2_CLEARTEXT=true). */
  h2c?: boolean;
  /** Speak 2026-07-28: no initialize, every request stateless with its revision headers and `_meta` envelope. */
  modern?: boolean;
}

const MODERN_VERSION = '2026-07-28';
const MODERN_META = {
  'io.modelcontextprotocol/protocolVersion': MODERN_VERSION,
  'io.modelcontextprotocol/clientCapabilities': {},
  'io.modelcontextprotocol/clientInfo': { name: 'airlock-bench', version: '1.0.0' },
};

export function createMcpLoadClient(options: McpLoadClientOptions) {
  const dispatcher = new Agent(
    options.h2c
      ? // Streams are multiplexed: a few connections carry every session.
        // undici 8's connector reads a top-level `useH2c` (untyped; `h2Options.useH2c` alone still speaks HTTP/1.1).
        ({ connections: options.connections, allowH2: true, useH2c: true, h2Options: { maxConcurrentStreams: 10_000 }, keepAliveTimeout: 30_000 } as Agent.Options)
      : { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000 },
  );
  const streams = new Set<{ destroy(): void }>();
  const baseHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...options.headers };

  async function post(body: unknown, sessionId?: string) {
    const headers: Record<string, string> = { ...baseHeaders };
    if (sessionId) {
      headers['mcp-session-id'] = sessionId;
      headers['mcp-protocol-version'] = PROTOCOL_VERSION;
    }
    const response = await request(options.url, { method: 'POST', headers, body: JSON.stringify(body), dispatcher });
    const text = await response.body.text();
    if (response.statusCode >= 400) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
    const contentType = String(response.headers['content-type'] ?? '');
    const header = response.headers['mcp-session-id'];
    return { status: response.statusCode, sessionId: typeof header === 'string' ? header : undefined, message: text ? parseMessage(text, contentType) : undefined };
  }

  /** A 2026-07-28 "session": nothing to open or close, each call one stateless POST. */
  function openModern(): McpLoadSession {
    let nextId = 1;
    return {
      id: 'stateless',
      openStream: () => Promise.reject(new Error('2026-07-28 has no GET stream')),
      async call(method, params) {
        const id = nextId++;
        const name = (params as { name?: unknown } | undefined)?.name;
        const headers: Record<string, string> = { ...baseHeaders, 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': method, ...(typeof name === 'string' ? { 'mcp-name': name } : {}) };
        const body = JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...(params as object), _meta: MODERN_META } });
        const response = await request(options.url, { method: 'POST', headers, body, dispatcher });
        const text = await response.body.text();
        if (response.statusCode >= 400) throw new Error(`HTTP ${response.statusCode}: ${text.slice(0, 200)}`);
        const message = parseMessage(text, String(response.headers['content-type'] ?? ''));
        if (!message || typeof message !== 'object' || 'error' in message) throw new Error(`${method} failed: ${JSON.stringify(message)}`);
        return (message as { result: unknown }).result;
      },
      close: async () => undefined,
    };
  }

  async function open(): Promise<McpLoadSession> {
    if (options.modern) return openModern();
    const init = await post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'airlock-bench', version: '1.0.0' } },
    });
    const sessionId = init.sessionId;
    if (!sessionId) throw new Error('initialize returned no Mcp-Session-Id');
    await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sessionId);
    let nextId = 1;
    const sessionHeaders = { ...baseHeaders, accept: 'text/event-stream', 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION };
    return {
      id: sessionId,
      async openStream() {
        const response = await request(options.url, { method: 'GET', headers: sessionHeaders, dispatcher });
        if (response.statusCode !== 200) {
          const text = await response.body.text();
          throw new Error(`GET stream answered ${response.statusCode}: ${text.slice(0, 200)}`);
        }
        // Read and discard whatever arrives (priming event, keep-alives) so the stream stays open.
        response.body.on('data', () => undefined).on('error', () => undefined);
        streams.add(response.body);
      },
      async call(method, params) {
        const id = nextId++;
        const { message } = await post({ jsonrpc: '2.0', id, method, params }, sessionId);
        if (!message || typeof message !== 'object' || 'error' in message) throw new Error(`${method} failed: ${JSON.stringify(message)}`);
        return (message as { result: unknown }).result;
      },
      async close() {
        await request(options.url, { method: 'DELETE', headers: { ...baseHeaders, 'mcp-session-id': sessionId, 'mcp-protocol-version': PROTOCOL_VERSION }, dispatcher })
          .then((r) => r.body.dump())
          .catch(() => undefined);
      },
    };
  }

  return {
    open,
    async close() {
      for (const stream of streams) stream.destroy();
      streams.clear();
      await dispatcher.destroy();
    },
  };
}

/** The JSON-RPC response in a JSON body or in the last `data:` event of an SSE body. */
function parseMessage(text: string, contentType: string): unknown {
  if (!contentType.includes('text/event-stream')) return JSON.parse(text);
  let last: unknown;
  for (const line of text.split('\n')) {
    if (line.startsWith('data:')) {
      const data = line.slice(5).trim();
      if (data) last = JSON.parse(data);
    }
  }
  return last;
}
