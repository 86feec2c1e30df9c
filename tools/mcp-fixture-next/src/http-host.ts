import type { IncomingMessage, ServerResponse } from 'node:http';
import { isLoopbackBind, jsonRpcError, listenFixture, readBody } from '@airlock/mcp-fixture/kit';
import {
  createMcpHandler,
  hostHeaderValidationResponse,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
} from '@modelcontextprotocol/server';
import { createFixtureState, createNextFixtureServer } from './fixture-server.js';
import type { NextFixtureOptions } from './fixture-server.js';

export interface NextFixtureHttpOptions extends NextFixtureOptions {
  port: number;
  host?: string;
  /** URL path of the endpoint, default `/mcp`. */
  path?: string;
  /** `stateless` (default) also answers 2025-era requests one at a time; `reject` is 2026-07-28 only. */
  legacy?: 'stateless' | 'reject';
}

export interface NextFixtureHttpHandle {
  url: string;
  close(): Promise<void>;
}

function toWebRequest(req: IncomingMessage, body: Buffer | undefined, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
  return new Request(url, { method: req.method ?? 'GET', headers, signal, ...(body && body.length > 0 ? { body } : {}) });
}

/** Streams a web Response onto the node response; a client that goes away cancels the body (and so the call). */
async function writeWebResponse(response: Response, res: ServerResponse): Promise<void> {
  res.statusCode = response.status;
  response.headers.forEach((value, name) => res.setHeader(name, value));
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  res.once('close', () => void reader.cancel().catch(() => undefined));
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!res.write(value)) await new Promise<void>((resolve) => res.once('drain', resolve));
  }
  res.end();
}

/**
 * Streamable HTTP host for the 2026-07-28 fixture: the SDK's per-request handler behind a DNS-rebinding
 * check (loopback binds only), with closing the connection aborting the request as the spec requires.
 */
export async function startNextFixtureHttp(options: NextFixtureHttpOptions): Promise<NextFixtureHttpHandle> {
  const path = options.path ?? '/mcp';
  const host = options.host ?? '127.0.0.1';
  const loopbackBind = isLoopbackBind(host);
  const state = createFixtureState(options);
  const handler = createMcpHandler(() => createNextFixtureServer(state, options), { legacy: options.legacy ?? 'stateless' });
  state.notifier = { toolsChanged: () => handler.notify.toolsChanged(), promptsChanged: () => handler.notify.promptsChanged() };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (new URL(req.url ?? '/', 'http://fixture.invalid').pathname !== path) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    if (body === 'too-large') return jsonRpcError(res, 413, -32600, 'Request body too large');
    const aborted = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) aborted.abort();
    });
    const request = toWebRequest(req, body, aborted.signal);
    const rejected = loopbackBind
      ? (hostHeaderValidationResponse(request, localhostAllowedHostnames()) ?? originValidationResponse(request, localhostAllowedOrigins()))
      : undefined;
    await writeWebResponse(rejected ?? (await handler.fetch(request)), res);
  };

  const listening = await listenFixture({ port: options.port, host, path }, handle);
  return { url: listening.url, close: () => listening.close(() => handler.close()) };
}
