import { z } from 'zod';
import { decodeHeaderValue } from './header-values.js';
import { ErrorCodes, McpHeaders, MetaKeys, MODERN_CLIENT_METHODS, NAMED_METHODS } from './protocol.js';
import { isModernRevision } from './protocol-versions.js';
import type { JsonRpcErrorObject, JsonRpcId } from './protocol.js';

/** Case-insensitive header lookup (Fetch `Headers.get`, or a wrapper over Node's lower-cased record). */
export type HeaderLookup = (name: string) => string | null | undefined;

export type Era = 'modern' | 'legacy';

export interface EraInput {
  httpMethod: string;
  header: HeaderLookup;
  /** The parsed JSON body; undefined for body-less requests. */
  body?: unknown;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `_meta` protocol-version claim of one JSON-RPC message, when it makes one. */
function bodyClaim(message: unknown): unknown {
  if (!isObject(message) || !isObject(message.params) || !isObject(message.params._meta)) return undefined;
  return message.params._meta[MetaKeys.protocolVersion];
}

/**
 * Which era serves this request. The spec's dual-era rule: a request carrying the per-request `_meta`
 * envelope is served statelessly under 2026-07-28; an `initialize`, a session operation (GET / DELETE),
 * or anything without the claim is legacy. A modern `MCP-Protocol-Version` header also claims the modern
 * path, so a modern request that lost its envelope is answered by the modern ladder (-32602), never by
 * the legacy transport. An `Mcp-Session-Id` header does not matter: new-era traffic ignores it.
 */
export function detectEra(input: EraInput): Era {
  if (input.httpMethod.toUpperCase() !== 'POST') return 'legacy';
  const header = input.header(McpHeaders.protocolVersion)?.trim();
  if (header !== undefined && header !== '' && isModernRevision(header)) return 'modern';
  const messages = Array.isArray(input.body) ? input.body : [input.body];
  return messages.some((message) => bodyClaim(message) !== undefined) ? 'modern' : 'legacy';
}

const implementationSchema = z.looseObject({ name: z.string(), version: z.string() });
const loggingLevelSchema = z.enum(['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency']);
const envelopeSchema = z.looseObject({
  [MetaKeys.protocolVersion]: z.string(),
  [MetaKeys.clientCapabilities]: z.looseObject({}),
  [MetaKeys.clientInfo]: implementationSchema.optional(),
  [MetaKeys.logLevel]: loggingLevelSchema.optional(),
});

/** What the ladder proved about an accepted modern request. */
export interface ModernRequest {
  kind: 'request' | 'notification';
  id?: JsonRpcId;
  method: string;
  /** `params.name` or `params.uri` for the named methods. */
  name?: string;
  params: Record<string, unknown>;
  protocolVersion: string;
  clientCapabilities: Record<string, unknown>;
  clientInfo?: { name: string; version: string };
  logLevel?: z.infer<typeof loggingLevelSchema>;
}

export interface ModernRejection {
  /** HTTP status of the rejection: 400, or 404 for a method this revision does not have. */
  status: 400 | 404;
  /** Which rule refused it, for logs and tests. */
  rule: 'jsonrpc-shape' | 'envelope' | 'protocol-version-header' | 'unsupported-version' | 'method-not-found' | 'method-header' | 'name-header';
  /** The JSON-RPC error response body (id null when the request id could not be read). */
  response: { jsonrpc: '2.0'; id: JsonRpcId | null; error: JsonRpcErrorObject };
}

export type ModernValidation = { ok: true; request: ModernRequest } | { ok: false; rejection: ModernRejection };

export interface ModernValidationInput {
  header: HeaderLookup;
  body: unknown;
  /** Versions this endpoint serves; an UnsupportedProtocolVersion error lists them. */
  supportedVersions: readonly string[];
}

/**
 * The 2026-07-28 validation ladder for one POST already routed to the modern path, in the order the SDK
 * 2.x transport evaluates it: JSON-RPC shape (400, -32600), header/body protocol-version agreement (400,
 * -32020), the `_meta` envelope (400, -32602), supported version (400, -32022 listing `supported`),
 * method registry (404, -32601), then `Mcp-Method` and `Mcp-Name` presence and agreement (400, -32020).
 * Client capabilities (-32021) depend on what a handler needs, so they are checked where the need arises.
 */
export function validateModernRequest(input: ModernValidationInput): ModernValidation {
  const { body, header } = input;
  const reject = (status: 400 | 404, rule: ModernRejection['rule'], id: JsonRpcId | null, error: JsonRpcErrorObject): ModernValidation => ({
    ok: false,
    rejection: { status, rule, response: { jsonrpc: '2.0', id, error } },
  });

  if (Array.isArray(body)) return reject(400, 'jsonrpc-shape', null, { code: ErrorCodes.invalidRequest, message: 'JSON-RPC batches are not part of protocol revision 2026-07-28' });
  const id = isObject(body) && (typeof body.id === 'string' || typeof body.id === 'number') ? body.id : undefined;
  const isRequest = id !== undefined;
  const shapeOk =
    isObject(body) &&
    body.jsonrpc === '2.0' &&
    typeof body.method === 'string' &&
    body.method !== '' &&
    (!('id' in body) || isRequest) &&
    (body.params === undefined || isObject(body.params)) &&
    !('result' in body) &&
    !('error' in body);
  if (!shapeOk) return reject(400, 'jsonrpc-shape', id ?? null, { code: ErrorCodes.invalidRequest, message: 'The body must be one JSON-RPC request or notification' });
  const method = body.method as string;
  const params = (body.params ?? {}) as Record<string, unknown>;
  const replyId = id ?? null;

  const headerVersion = header(McpHeaders.protocolVersion)?.trim();
  const claimed = bodyClaim(body);
  if (typeof claimed === 'string' && headerVersion && headerVersion !== claimed) {
    return reject(400, 'protocol-version-header', replyId, {
      code: ErrorCodes.headerMismatch,
      message: `Header mismatch: MCP-Protocol-Version header value '${headerVersion}' does not match body value '${claimed}'`,
    });
  }

  // Notifications have no header or envelope rules in this revision; the caller acknowledges or drops them.
  if (!isRequest) {
    return { ok: true, request: { kind: 'notification', method, params, protocolVersion: typeof claimed === 'string' ? claimed : (headerVersion ?? ''), clientCapabilities: {} } };
  }

  const envelope = envelopeSchema.safeParse(params._meta);
  if (!envelope.success) {
    const issue = envelope.error.issues[0];
    const key = issue?.path[0] === undefined ? '_meta' : String(issue.path[0]);
    return reject(400, 'envelope', replyId, {
      code: ErrorCodes.invalidParams,
      message: `Invalid params: the request _meta must carry ${MetaKeys.protocolVersion} and ${MetaKeys.clientCapabilities} (${key}: ${issue?.message ?? 'missing'})`,
      data: { key },
    });
  }
  const meta = envelope.data;
  const protocolVersion = meta[MetaKeys.protocolVersion];
  if (!headerVersion) {
    return reject(400, 'protocol-version-header', replyId, { code: ErrorCodes.headerMismatch, message: 'Header mismatch: the MCP-Protocol-Version header is required' });
  }
  if (!input.supportedVersions.includes(protocolVersion) || !isModernRevision(protocolVersion)) {
    return reject(400, 'unsupported-version', replyId, {
      code: ErrorCodes.unsupportedProtocolVersion,
      message: 'Unsupported protocol version',
      data: { supported: [...input.supportedVersions], requested: protocolVersion },
    });
  }
  if (!MODERN_CLIENT_METHODS.includes(method)) {
    return reject(404, 'method-not-found', replyId, { code: ErrorCodes.methodNotFound, message: `Method not found: ${method}` });
  }

  const methodHeader = header(McpHeaders.method);
  if (methodHeader === undefined || methodHeader === null) {
    return reject(400, 'method-header', replyId, { code: ErrorCodes.headerMismatch, message: 'Header mismatch: the Mcp-Method header is required' });
  }
  if (methodHeader !== method) {
    return reject(400, 'method-header', replyId, {
      code: ErrorCodes.headerMismatch,
      message: `Header mismatch: Mcp-Method header value '${methodHeader}' does not match body value '${method}'`,
    });
  }

  const nameField = NAMED_METHODS[method];
  const bodyName = nameField === undefined ? undefined : params[nameField];
  let name: string | undefined;
  if (nameField !== undefined && typeof bodyName === 'string') {
    name = bodyName;
    const nameHeader = header(McpHeaders.name);
    if (nameHeader === undefined || nameHeader === null) {
      return reject(400, 'name-header', replyId, { code: ErrorCodes.headerMismatch, message: `Header mismatch: the Mcp-Name header is required for ${method}` });
    }
    const decoded = decodeHeaderValue(nameHeader);
    if (decoded === undefined) {
      return reject(400, 'name-header', replyId, { code: ErrorCodes.headerMismatch, message: 'Header mismatch: the Mcp-Name header value is malformed' });
    }
    if (decoded !== bodyName) {
      return reject(400, 'name-header', replyId, {
        code: ErrorCodes.headerMismatch,
        message: `Header mismatch: Mcp-Name header value '${nameHeader}' does not match body value '${bodyName}'`,
      });
    }
  }

  const clientInfo = meta[MetaKeys.clientInfo];
  const logLevel = meta[MetaKeys.logLevel];
  return {
    ok: true,
    request: {
      kind: 'request',
      id,
      method,
      ...(name !== undefined ? { name } : {}),
      params,
      protocolVersion,
      clientCapabilities: meta[MetaKeys.clientCapabilities],
      ...(clientInfo ? { clientInfo: { name: clientInfo.name, version: clientInfo.version } } : {}),
      ...(logLevel ? { logLevel } : {}),
    },
  };
}

/** The response a server gives an `initialize` (or other removed method) on a modern-only leg: names what it serves. */
export function unsupportedVersionError(requested: string, supported: readonly string[]): JsonRpcErrorObject {
  return { code: ErrorCodes.unsupportedProtocolVersion, message: 'Unsupported protocol version', data: { supported: [...supported], requested } };
}
