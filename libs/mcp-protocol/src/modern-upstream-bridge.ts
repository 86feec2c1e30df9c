import { declaresCapability, inputRequiredResultSchema, requiredCapability } from './input-shapes.js';
import type { JsonRpcRequestMessage, JsonRpcResponseMessage } from './input-shapes.js';
import { encodeHeaderValue } from './header-values.js';
import { ErrorCodes, MetaKeys, NAMED_METHODS } from './protocol.js';
import { MODERN_PROTOCOL_VERSION } from './protocol-versions.js';
import type { JsonRpcErrorObject, JsonRpcId } from './protocol.js';

// Direction (b): a 2025-11-25 client uses a 2026-07-28 upstream. The gateway calls the upstream
// statelessly on the client's behalf (envelope from the client's session); an `input_required` result
// becomes server-to-client requests on the client's stream for that call, and the client's answers
// become the retry of the original request to the upstream.

/** Rounds of input before the gateway gives up on a call (the SDK 2.x client's default is the same). */
export const MAX_INPUT_ROUNDS = 8;

/** What the gateway knows about the legacy client from its `initialize`, used for every upstream call. */
export interface LegacyClientProfile {
  capabilities: Record<string, unknown>;
  clientInfo?: { name: string; version: string };
  logLevel?: string;
}

/** The 2026-07-28 `_meta` envelope a call on behalf of a legacy client carries. */
export function envelopeForLegacyClient(profile: LegacyClientProfile, protocolVersion = MODERN_PROTOCOL_VERSION): Record<string, unknown> {
  // 2025 task augmentation has no 2026-07-28 core equivalent; everything else carries over as declared.
  const { tasks: _tasks, ...capabilities } = profile.capabilities;
  return {
    [MetaKeys.protocolVersion]: protocolVersion,
    [MetaKeys.clientCapabilities]: capabilities,
    ...(profile.clientInfo ? { [MetaKeys.clientInfo]: profile.clientInfo } : {}),
    ...(profile.logLevel ? { [MetaKeys.logLevel]: profile.logLevel } : {}),
  };
}

/** A modern request's params with the envelope merged into its `_meta` (the caller's own `_meta` keys kept). */
export function withEnvelope(params: Record<string, unknown> | undefined, envelope: Record<string, unknown>): Record<string, unknown> {
  const meta = typeof params?._meta === 'object' && params._meta !== null ? (params._meta as Record<string, unknown>) : {};
  return { ...params, _meta: { ...meta, ...envelope } };
}

/** The standard request headers that must mirror a 2026-07-28 request body. */
export function modernRequestHeaders(method: string, params: Record<string, unknown>, protocolVersion = MODERN_PROTOCOL_VERSION): Record<string, string> {
  const headers: Record<string, string> = { 'MCP-Protocol-Version': protocolVersion, 'Mcp-Method': method };
  const field = NAMED_METHODS[method];
  const name = field === undefined ? undefined : params[field];
  if (typeof name === 'string') headers['Mcp-Name'] = encodeHeaderValue(name);
  return headers;
}

/** A 2026-07-28 result as a 2025 client sees it: without the fields its revision does not define. */
export function legacyResultFromModern(result: Record<string, unknown>): Record<string, unknown> {
  const { resultType: _resultType, ttlMs: _ttlMs, cacheScope: _cacheScope, ...legacy } = result;
  return legacy;
}

export type ClientRequestsOutcome =
  | { ok: true; requests: Array<{ key: string; request: JsonRpcRequestMessage }>; requestState?: string }
  | { ok: false; error: JsonRpcErrorObject };

/**
 * Turns an upstream `input_required` result into the server-to-client requests a 2025 client understands,
 * with ids the gateway mints. URL-mode elicitations get the `elicitationId` 2025 requires. A result that
 * asks for something the client never declared is an upstream fault (it was told the capabilities) and
 * fails the call rather than reaching the client.
 */
export function clientRequestsFromInputRequired(
  result: unknown,
  options: { clientCapabilities: Record<string, unknown>; mintId: () => JsonRpcId; mintElicitationId: () => string },
): ClientRequestsOutcome {
  const parsed = inputRequiredResultSchema.safeParse(result);
  if (!parsed.success) return { ok: false, error: { code: ErrorCodes.internalError, message: 'The upstream returned a malformed input_required result' } };
  const entries = Object.entries(parsed.data.inputRequests ?? {});
  if (entries.length === 0 && parsed.data.requestState === undefined) {
    return { ok: false, error: { code: ErrorCodes.internalError, message: 'The upstream returned an input_required result with neither inputRequests nor requestState' } };
  }
  const requests: Array<{ key: string; request: JsonRpcRequestMessage }> = [];
  for (const [key, entry] of entries) {
    if (!declaresCapability(options.clientCapabilities, requiredCapability(entry.method, entry.params))) {
      return { ok: false, error: { code: ErrorCodes.internalError, message: `The upstream asked for ${entry.method}, which this client does not support` } };
    }
    const params = entry.method === 'elicitation/create' && entry.params.mode === 'url' ? { ...entry.params, elicitationId: options.mintElicitationId() } : entry.params;
    requests.push({ key, request: { jsonrpc: '2.0', id: options.mintId(), method: entry.method, params } });
  }
  return { ok: true, requests, ...(parsed.data.requestState !== undefined ? { requestState: parsed.data.requestState } : {}) };
}

export type RetryOutcome = { ok: true; params: Record<string, unknown> } | { ok: false; error: JsonRpcErrorObject };

/**
 * The retry of the original request to the upstream: the original params (without any previous round's
 * answers), the client's results keyed as the upstream asked, and the upstream's `requestState` echoed
 * byte for byte. A client that answered with a JSON-RPC error ends the call with that error: 2026-07-28
 * `inputResponses` can only carry results.
 */
export function retryParamsFromClientAnswers(
  originalParams: Record<string, unknown>,
  answers: ReadonlyArray<{ key: string; response: JsonRpcResponseMessage }>,
  requestState: string | undefined,
): RetryOutcome {
  const inputResponses: Record<string, unknown> = {};
  for (const { key, response } of answers) {
    if ('error' in response) return { ok: false, error: response.error };
    inputResponses[key] = response.result;
  }
  const { inputResponses: _previous, requestState: _previousState, ...params } = originalParams;
  return {
    ok: true,
    params: { ...params, ...(answers.length > 0 ? { inputResponses } : {}), ...(requestState !== undefined ? { requestState } : {}) },
  };
}
