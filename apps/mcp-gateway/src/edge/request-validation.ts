import { DEFAULT_LEGACY_PROTOCOL_VERSION, allowsBatches, isSupportedLegacyVersion, jsonRpcShapeProblem } from '@airlock/mcp-protocol';
import type { JsonRpcMessage } from '@airlock/mcp-protocol';
import { GatewayError } from '../errors/gateway-error.js';

// The header and body rules of the Streamable HTTP transport (2025-11-25), as pure functions of the
// request so each one is unit-tested alone. Each throws a GatewayError whose code maps to the status the spec asks for.

type Headers = Record<string, string | string[] | undefined>;

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

const mediaTypes = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((part) => part.split(';', 1)[0]!.trim().toLowerCase())
    .filter(Boolean);

const accepts = (types: string[], wanted: string) => types.includes(wanted) || types.includes('*/*') || types.includes(`${wanted.split('/')[0]}/*`);

/**
 * A verdict on one header value, remembered: clients send the same few Accept and Content-Type values on
 * every call, so each is parsed once, not per request. Cleared when full (a client sending endless
 * variants costs one parse per request, as without it).
 */
function memoised(verdict: (value: string | undefined) => boolean): (value: string | undefined) => boolean {
  const known = new Map<string | undefined, boolean>();
  return (value) => {
    let ok = known.get(value);
    if (ok === undefined) {
      ok = verdict(value);
      if (known.size >= 64) known.clear();
      known.set(value, ok);
    }
    return ok;
  };
}

const postAcceptOk = memoised((value) => {
  const types = mediaTypes(value);
  return accepts(types, 'application/json') && accepts(types, 'text/event-stream');
});
const contentTypeOk = memoised((value) => mediaTypes(value)[0] === 'application/json');

/** POST: the client MUST list both application/json and text/event-stream. */
export function checkPostAccept(headers: Headers): void {
  if (!postAcceptOk(header(headers, 'accept'))) {
    throw new GatewayError('not_acceptable', { message: 'Not Acceptable: Accept must list application/json and text/event-stream' });
  }
}

/** GET: the client MUST list text/event-stream. */
export function checkGetAccept(headers: Headers): void {
  if (!accepts(mediaTypes(header(headers, 'accept')), 'text/event-stream')) {
    throw new GatewayError('not_acceptable', { message: 'Not Acceptable: Accept must list text/event-stream' });
  }
}

export function checkContentType(headers: Headers): void {
  if (!contentTypeOk(header(headers, 'content-type'))) {
    throw new GatewayError('unsupported_media_type');
  }
}

/** The revision the request speaks: the header when present (400 when unsupported), else the default. */
export function requestProtocolVersion(headers: Headers): { version: string; explicit: boolean } {
  const value = header(headers, 'mcp-protocol-version');
  if (value === undefined) return { version: DEFAULT_LEGACY_PROTOCOL_VERSION, explicit: false };
  if (!isSupportedLegacyVersion(value.trim())) {
    throw new GatewayError('unsupported_protocol_version', { message: `Bad Request: unsupported MCP-Protocol-Version ${value.slice(0, 40)}` });
  }
  return { version: value.trim(), explicit: true };
}

/** Parses a POST body into messages; batches only for revisions that still have them. */
export function parseMessages(body: Buffer, protocolVersion: string): { messages: JsonRpcMessage[]; batch: boolean } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new GatewayError('parse_error', { message: 'Parse error: the body is not valid JSON' });
  }
  return messagesOf(parsed, protocolVersion);
}

/** `parseMessages` for a body already parsed as JSON. */
export function messagesOf(parsed: unknown, protocolVersion: string): { messages: JsonRpcMessage[]; batch: boolean } {
  if (Array.isArray(parsed)) {
    if (!allowsBatches(protocolVersion)) throw new GatewayError('invalid_request', { message: `Invalid Request: JSON-RPC batches are not supported in ${protocolVersion}` });
    if (parsed.length === 0) throw new GatewayError('invalid_request', { message: 'Invalid Request: empty batch' });
    return { messages: parsed.map(toJsonRpcMessage), batch: true };
  }
  return { messages: [toJsonRpcMessage(parsed)], batch: false };
}

/** One message of a session-era POST, refused with -32600 naming the first problem. */
function toJsonRpcMessage(value: unknown): JsonRpcMessage {
  const problem = jsonRpcShapeProblem(value);
  if (problem !== undefined) throw new GatewayError('invalid_request', { message: problem });
  return value as JsonRpcMessage;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function hostName(hostHeader: string): string {
  const match = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(hostHeader.trim());
  return (match?.[1] ?? '').toLowerCase();
}

/**
 * DNS-rebinding defence. `allowedHosts` is the set of Host names this gateway answers to (its public
 * host, plus loopback names when it is bound to the loopback); `allowedOrigins` the browser origins that
 * may call it. A request without Origin is not from a browser page and passes the Origin rule.
 */
export function checkHostAndOrigin(
  headers: Headers,
  policy: { allowedHosts: ReadonlySet<string>; allowedOrigins: Pick<ReadonlySet<string>, 'has'>; loopbackOrigins?: boolean },
  /** Origins allowed besides the policy's (a tenant's own, from its settings). */
  moreOrigins: readonly string[] = [],
): void {
  const host = header(headers, 'host') ?? header(headers, ':authority');
  if (host === undefined || !policy.allowedHosts.has(hostName(host))) throw new GatewayError('forbidden_host');
  const origin = header(headers, 'origin');
  if (origin === undefined) return;
  const parsed = URL.canParse(origin) ? new URL(origin) : undefined;
  // A loopback-bound gateway serves pages on the same machine (local tools and their dev servers).
  if (policy.loopbackOrigins && parsed && LOOPBACK.has(parsed.hostname.toLowerCase())) return;
  const claimed = parsed?.origin ?? origin;
  if (!policy.allowedOrigins.has(claimed) && !moreOrigins.includes(claimed)) throw new GatewayError('forbidden_origin');
}

export function loopbackHostNames(): string[] {
  return [...LOOPBACK];
}
