import type { Tracing } from '@airlock/tracing';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import { Scopes, TENANT_SLUG_PATTERN } from '@airlock/contracts';
import type { Logger } from '@airlock/observability';
import { BearerAuth } from './bearer-auth.js';
import type { AuthOutcome } from './bearer-auth.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { Client2026Endpoint } from './client-2026/client-2026-endpoint.js';
import type { RateLimiter } from './rate-limiter.js';
import type { ReplicaBus } from '../sessions/replica-bus.js';
import type { SessionHost } from '../sessions/session-host.js';
import type { EndpointTarget, SessionDirectory } from '../sessions/session-directory.js';
import type { TenantCatalog } from '../tenants/tenant-catalog.js';
import type { ToolPinning } from '../tenants/tool-pinning.js';
import type { UpstreamEras } from '../upstream/upstream-eras.js';
import { SERVER_NAME } from '../router/namespacing.js';
import type { ToolCallObservers } from '../observe/tool-call-observer.js';
import type { SseEventLog } from '../streams/sse-event-log.js';
import type { RawResponse } from '../streams/sse-stream-pump.js';

// What the HTTP edge and its two client-facing era adapters share: the endpoint's dependencies, its
// route, and the raw request and response helpers.

export type RawRequest = IncomingMessage | Http2ServerRequest;

export interface EndpointOptions {
  publicUrl: string;
  /** Host names accepted in `Host` (the public host, plus loopback names for a loopback bind). */
  allowedHosts: ReadonlySet<string>;
  /** Origins allowed for every tenant (the gateway's own), tenants add theirs in settings. */
  allowedOrigins: ReadonlySet<string>;
  /** Bound to the loopback: pages served from loopback origins may call it (DNS rebinding still fails on Host). */
  loopbackBind: boolean;
  bodyLimitBytes: number;
  retryMs: number;
  keepAliveMs: number;
  /** How long a POST's priming event waits for the answer to leave with it (home replica only). */
  primingDelayMs?: number;
}

/**
 * Long enough for most answers, even under load (then the priming event, the answer and the end of the
 * stream are one Redis write and one HTTP write instead of two each), short beside any reconnection.
 */
export const PRIMING_DELAY_MS = 100;

export interface EndpointDeps {
  options: EndpointOptions;
  auth: BearerAuth;
  directory: TenantCatalog;
  registry: SessionDirectory;
  host: SessionHost;
  bus: ReplicaBus;
  log: SseEventLog;
  rateLimiter: RateLimiter;
  /** Sees the tools/call requests this edge refuses (429, 403 insufficient_scope) in a session. */
  observer?: ToolCallObservers;
  /** Pinned tool definitions (absent: every listed definition is served as is). */
  pinning?: ToolPinning;
  logger: Logger;
  /** The 2026-07-28 (stateless) side of the same endpoints; built from the session host's upstream access when omitted. */
  client2026?: Client2026Endpoint;
  /** Which era each upstream speaks (pinned, recorded or probed); records are used as read when omitted. */
  eras?: UpstreamEras;
  /** OpenTelemetry tracing (off when omitted or not enabled): a server span per MCP request. */
  tracing?: Tracing;
}

export interface Route {
  tenant: string;
  target: EndpointTarget;
}

const ROUTE = /^\/t\/([^/]+)\/(?:mcp|servers\/([^/]+)\/mcp)$/;

export function parseRoute(rawUrl: string): Route | undefined {
  const query = rawUrl.indexOf('?');
  const match = ROUTE.exec(query === -1 ? rawUrl : rawUrl.slice(0, query));
  // The contracts' slug pattern itself (tenantSlugSchema is built on it), without zod's per-call result objects.
  if (!match || !TENANT_SLUG_PATTERN.test(match[1]!)) return undefined;
  if (match[2] !== undefined && !SERVER_NAME.test(match[2])) return undefined;
  return { tenant: match[1]!, target: match[2] === undefined ? { kind: 'aggregated' } : { kind: 'server', server: match[2] } };
}

// Both response types share these methods; TypeScript cannot call the union's overloads.
export const node = (response: RawResponse) => response as ServerResponse;

export function sendJson(response: RawResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  node(response).writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(json), ...headers });
  response.end(json);
}

/** The whole body, refused with 413 past `limit` (listeners, not an async iterator: this runs per call). */
export function readBody(request: RawRequest, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(new GatewayError('payload_too_large'));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      request.off('data', onData);
      request.resume();
      reject(new GatewayError('payload_too_large'));
    };
    request.on('data', onData);
    request.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    request.once('error', reject);
    request.once('aborted', () => reject(new Error('request aborted')));
  });
}

export function headerOf(request: RawRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The body as JSON for era detection only; a body that is not JSON is the 2025-11-25 path's -32700. */
export function parseLoosely(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Opening a session (and every 2026-07-28 request) needs the `mcp` scope: a token granted only other
 * scopes (a client_credentials token that asked for none, say) is 403 insufficient_scope (RFC 6750 3.1).
 */
export function requireMcpScope(resource: string, auth: AuthOutcome): void {
  if (!auth.scopes.has(Scopes.mcp)) throw BearerAuth.insufficientScope(resource, [Scopes.mcp]);
}
