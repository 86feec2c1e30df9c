import { ErrorCodes, jsonRpcErrorResponse } from '@airlock/mcp-protocol';
import type { JsonRpcErrorObject, JsonRpcId } from '@airlock/mcp-protocol';
import { HotStoreUnavailableError } from '@airlock/redis';
import { SessionStoreClientError } from '@airlock/session-client';
import { buildWwwAuthenticate } from '@airlock/token-verifier';
import { GatewayError } from './gateway-error.js';
import type { GatewayErrorCode } from './gateway-error.js';

// The one place a GatewayError becomes what the client sees. Status 200 marks the errors that answer a
// JSON-RPC request the transport accepted (the error travels in the JSON-RPC response, not as an HTTP refusal).

interface Rendering {
  status: number;
  /** The JSON-RPC code; absent for the bearer refusals, whose body is OAuth-shaped (RFC 6750). */
  rpc?: number;
  /** The OAuth `error` of a bearer refusal. */
  oauth?: 'invalid_token' | 'invalid_request' | 'insufficient_scope' | 'temporarily_unavailable';
  message: string;
  retryAfterSeconds?: number;
}

const TAXONOMY: Readonly<Record<GatewayErrorCode, Rendering>> = {
  not_found: { status: 404, rpc: ErrorCodes.serverError, message: 'Not Found' },
  forbidden_host: { status: 403, rpc: ErrorCodes.serverError, message: 'Forbidden: Host is not allowed' },
  forbidden_origin: { status: 403, rpc: ErrorCodes.serverError, message: 'Forbidden: Origin is not allowed' },
  not_acceptable: { status: 406, rpc: ErrorCodes.serverError, message: 'Not Acceptable' },
  unsupported_media_type: { status: 415, rpc: ErrorCodes.serverError, message: 'Unsupported Media Type: Content-Type must be application/json' },
  method_not_allowed: { status: 405, rpc: ErrorCodes.serverError, message: 'Method not allowed' },
  payload_too_large: { status: 413, rpc: ErrorCodes.invalidRequest, message: 'Payload Too Large' },
  bad_request: { status: 400, rpc: ErrorCodes.serverError, message: 'Bad Request' },
  unsupported_protocol_version: { status: 400, rpc: ErrorCodes.serverError, message: 'Bad Request: unsupported MCP-Protocol-Version' },
  parse_error: { status: 400, rpc: ErrorCodes.parseError, message: 'Parse error' },
  invalid_request: { status: 400, rpc: ErrorCodes.invalidRequest, message: 'Invalid Request' },
  session_not_found: { status: 404, rpc: ErrorCodes.sessionNotFound, message: 'Session not found' },
  rate_limited: { status: 429, rpc: ErrorCodes.serverError, message: 'Too Many Requests' },
  shutting_down: { status: 503, rpc: ErrorCodes.serverError, message: 'Service Unavailable: the gateway is shutting down', retryAfterSeconds: 1 },
  dependency_unavailable: { status: 503, rpc: ErrorCodes.internalError, message: 'Service temporarily unavailable', retryAfterSeconds: 2 },
  unauthorized: { status: 401, oauth: 'invalid_token', message: 'an access token is required' },
  invalid_token_request: { status: 400, oauth: 'invalid_request', message: 'the request is malformed' },
  insufficient_scope: { status: 403, oauth: 'insufficient_scope', message: 'the access token lacks the required scope' },
  auth_unavailable: { status: 503, oauth: 'temporarily_unavailable', message: 'the token cannot be checked right now', retryAfterSeconds: 2 },
  method_not_found: { status: 200, rpc: ErrorCodes.methodNotFound, message: 'Method not found' },
  invalid_params: { status: 200, rpc: ErrorCodes.invalidParams, message: 'Invalid params' },
  unknown_tool: { status: 200, rpc: ErrorCodes.invalidParams, message: 'Unknown tool' },
  tool_call_refused: { status: 200, rpc: ErrorCodes.serverError, message: 'Tool call refused' },
  tool_withheld: { status: 200, rpc: ErrorCodes.serverError, message: 'Tool withheld: its definition changed and awaits approval' },
  resource_not_found: { status: 200, rpc: ErrorCodes.legacyResourceNotFound, message: 'Resource not found' },
  account_not_connected: { status: 200, rpc: ErrorCodes.serverError, message: 'Connect your account at the upstream server first' },
  url_elicitation_required: { status: 200, rpc: ErrorCodes.legacyUrlElicitationRequired, message: 'URL elicitation required' },
  missing_client_capability: { status: 400, rpc: ErrorCodes.missingRequiredClientCapability, message: 'Missing required client capabilities' },
  upstream_unavailable: { status: 502, rpc: ErrorCodes.internalError, message: 'The upstream server is unavailable' },
  upstream_refused: { status: 502, rpc: ErrorCodes.internalError, message: 'The upstream server refused the gateway' },
  upstream_blocked: { status: 502, rpc: ErrorCodes.internalError, message: 'The upstream server may not be reached from the gateway' },
  upstream_error: { status: 200, rpc: ErrorCodes.internalError, message: 'The upstream server failed' },
  internal: { status: 500, rpc: ErrorCodes.internalError, message: 'Internal error' },
};

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** The HTTP status a refusal with this code gets (200: answered inside the JSON-RPC exchange). */
export const httpStatusOf = (error: GatewayError): number => TAXONOMY[error.code].status;

const messageOf = (error: GatewayError): string => error.clientMessage ?? TAXONOMY[error.code].message;

/** The JSON-RPC error object for `error`: the client-visible message and data only, never the log detail. */
export function jsonRpcErrorOf(error: GatewayError): JsonRpcErrorObject {
  const rpc = TAXONOMY[error.code].rpc ?? ErrorCodes.serverError;
  return { code: rpc, message: messageOf(error), ...(error.data === undefined ? {} : { data: error.data }) };
}

/** Status, headers and body of the HTTP answer that refuses a request with `error`. */
export function errorResponse(error: GatewayError, id: JsonRpcId | null = null): ErrorResponse {
  const rendering = TAXONOMY[error.code];
  const headers: Record<string, string> = {};
  const retryAfter = error.retryAfterSeconds ?? rendering.retryAfterSeconds;
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  if (error.allow !== undefined) headers['allow'] = error.allow;
  if (rendering.oauth === undefined) return { status: rendering.status, headers, body: jsonRpcErrorResponse(id, jsonRpcErrorOf(error)) };

  const description = messageOf(error);
  // temporarily_unavailable is not the token's fault: no challenge, a retry instead (RFC 6750 leaves 503 to HTTP).
  if (error.challenge && rendering.oauth !== 'temporarily_unavailable') {
    const { resourceMetadata, scope, namesError } = error.challenge;
    headers['www-authenticate'] = buildWwwAuthenticate({
      resourceMetadata,
      ...(namesError ? { error: rendering.oauth, errorDescription: description } : {}),
      ...(scope && scope.length > 0 ? { scope } : {}),
    });
  }
  return { status: rendering.status, headers, body: { error: rendering.oauth, error_description: description } };
}

/**
 * Any thrown value as a GatewayError: a dependency that is down (session store, hot store) is a 503 the
 * client may retry; anything else unknown is `internal`, whose client message says nothing of the cause.
 */
export function toGatewayError(error: unknown): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof SessionStoreClientError && error.status === 503) return new GatewayError('dependency_unavailable', { cause: error });
  if (error instanceof HotStoreUnavailableError) return new GatewayError('dependency_unavailable', { cause: error });
  return new GatewayError('internal', { cause: error });
}

/** A refusal as the `{ status, error }` answer the 2026-07-28 path and the era bridge return instead of throwing. */
export function errorAnswer(error: GatewayError): { status: number; error: JsonRpcErrorObject } {
  return { status: httpStatusOf(error), error: jsonRpcErrorOf(error) };
}
