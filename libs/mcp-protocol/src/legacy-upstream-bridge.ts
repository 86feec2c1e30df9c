import type { PendingInput } from '@airlock/contracts';
import { declaresCapability, inputAnswerSchemas, requiredCapability } from './input-shapes.js';
import type { InputRequestEntry, InputRequiredResult, JsonRpcResponseMessage } from './input-shapes.js';
import { CACHEABLE_METHODS, ErrorCodes, INPUT_REQUEST_METHODS } from './protocol.js';
import type { InputRequestMethod, JsonRpcErrorObject, JsonRpcId } from './protocol.js';

// Direction (a): a 2026-07-28 client uses a 2025-11-25 upstream. The gateway keeps the upstream session;
// when the upstream sends sampling / elicitation / roots requests while a client call is in flight, the
// gateway parks the call and answers the client with `input_required`; the client's retry carries the
// answers, which become the JSON-RPC responses the upstream is waiting for.

/** A server-to-client request the 2025 upstream sent while the client's call was in flight. */
export interface UpstreamServerRequest {
  id: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}

export type ParkOutcome =
  /** Ask the client: return `result`, store `pending` under the handle; `upstreamReplies` go upstream now. */
  | { kind: 'input-required'; result: InputRequiredResult; pending: PendingInput[]; upstreamReplies: JsonRpcResponseMessage[] }
  /** The client did not declare what the upstream needs: answer it -32021 (HTTP 400) and refuse upstream. */
  | { kind: 'missing-capability'; error: JsonRpcErrorObject; upstreamReplies: JsonRpcResponseMessage[] };

/** The `inputRequests` key for an upstream request: stable across rounds, unique within one. */
export function inputKeyFor(upstreamRequestId: JsonRpcId): string {
  return `upstream-${typeof upstreamRequestId === 'number' ? 'n' : 's'}-${String(upstreamRequestId)}`;
}

const isInputMethod = (method: string): method is InputRequestMethod => (INPUT_REQUEST_METHODS as readonly string[]).includes(method);

/** 2025-only members the 2026-07-28 shapes do not have (task augmentation; URL elicitation ids). */
function modernParams(method: InputRequestMethod, params: Record<string, unknown> | undefined): Record<string, unknown> {
  const { task: _task, ...rest } = params ?? {};
  if (method === 'elicitation/create' && rest.mode === 'url') {
    const { elicitationId: _elicitationId, ...url } = rest;
    return url;
  }
  return rest;
}

/**
 * Turns the upstream's pending server-to-client requests into the `input_required` result for a new-era
 * client. `ping` is answered for the client; other methods the client era has no use for are refused
 * upstream (-32601). Requests the client's per-request capabilities do not cover fail the whole call
 * with MissingRequiredClientCapability, as the spec requires, instead of asking anyway.
 */
export function parkUpstreamRequests(
  requests: readonly UpstreamServerRequest[],
  options: { clientCapabilities: Record<string, unknown>; requestState: string },
): ParkOutcome {
  const upstreamReplies: JsonRpcResponseMessage[] = [];
  const asks: Array<{ request: UpstreamServerRequest; method: InputRequestMethod; params: Record<string, unknown> }> = [];
  const missing: Record<string, unknown> = {};
  for (const request of requests) {
    if (request.method === 'ping') {
      upstreamReplies.push({ jsonrpc: '2.0', id: request.id, result: {} });
      continue;
    }
    if (!isInputMethod(request.method)) {
      upstreamReplies.push({ jsonrpc: '2.0', id: request.id, error: { code: ErrorCodes.methodNotFound, message: `Method not found: ${request.method}` } });
      continue;
    }
    const params = modernParams(request.method, request.params);
    const required = requiredCapability(request.method, params);
    if (!declaresCapability(options.clientCapabilities, required)) Object.assign(missing, required);
    else asks.push({ request, method: request.method, params });
  }
  if (Object.keys(missing).length > 0) {
    // One unanswerable request fails the call; the upstream hears that none of its requests will be answered.
    for (const request of requests) {
      if (isInputMethod(request.method)) {
        upstreamReplies.push({ jsonrpc: '2.0', id: request.id, error: { code: ErrorCodes.methodNotFound, message: `The client does not support ${request.method}` } });
      }
    }
    return {
      kind: 'missing-capability',
      error: { code: ErrorCodes.missingRequiredClientCapability, message: `Missing required client capabilities: ${Object.keys(missing).join(', ')}`, data: { requiredCapabilities: missing } },
      upstreamReplies,
    };
  }
  const pending: PendingInput[] = asks.map(({ request, method, params }) => ({ key: inputKeyFor(request.id), upstreamRequestId: request.id, method, params }));
  const inputRequests: Record<string, InputRequestEntry> = Object.fromEntries(pending.map((p) => [p.key, { method: p.method, params: p.params }]));
  const result: InputRequiredResult = { resultType: 'input_required', requestState: options.requestState };
  if (pending.length > 0) result.inputRequests = inputRequests;
  return { kind: 'input-required', result, pending, upstreamReplies };
}

export interface AnswerOutcome {
  /** JSON-RPC responses to send upstream, one per answered pending request. */
  replies: JsonRpcResponseMessage[];
  /** Pending requests the retry did not (validly) answer: ask again with the same handle. */
  stillPending: PendingInput[];
}

/**
 * Reads a retry's `inputResponses` against what is pending: valid answers become the upstream's awaited
 * JSON-RPC responses; missing or malformed ones stay pending (the spec's SHOULD: ask again, not fail).
 * Keys nobody asked for are ignored.
 */
export function answerUpstreamRequests(pending: readonly PendingInput[], inputResponses: unknown): AnswerOutcome {
  const responses = typeof inputResponses === 'object' && inputResponses !== null && !Array.isArray(inputResponses) ? (inputResponses as Record<string, unknown>) : {};
  const replies: JsonRpcResponseMessage[] = [];
  const stillPending: PendingInput[] = [];
  for (const entry of pending) {
    const answer = inputAnswerSchemas[entry.method].safeParse(responses[entry.key]);
    if (!answer.success) {
      stillPending.push(entry);
      continue;
    }
    const { resultType: _resultType, ...result } = answer.data;
    replies.push({ jsonrpc: '2.0', id: entry.upstreamRequestId, result });
  }
  return { replies, stillPending };
}

/** The `input_required` result that asks again for what is still pending (same handle). */
export function reaskPending(pending: readonly PendingInput[], requestState: string): InputRequiredResult {
  return {
    resultType: 'input_required',
    inputRequests: Object.fromEntries(pending.map((p) => [p.key, { method: p.method, params: p.params }])),
    requestState,
  };
}

/**
 * A 2025 result as a 2026-07-28 client must see it: `resultType: "complete"`, and on cacheable results the
 * conservative cache fields (an upstream that never promised freshness gets `ttlMs: 0`, `private`).
 */
export function modernResultFromLegacy(method: string, result: Record<string, unknown>): Record<string, unknown> {
  const shaped: Record<string, unknown> = { ...result, resultType: 'complete' };
  if (CACHEABLE_METHODS.includes(method)) {
    if (typeof shaped.ttlMs !== 'number') shaped.ttlMs = 0;
    if (shaped.cacheScope !== 'public' && shaped.cacheScope !== 'private') shaped.cacheScope = 'private';
  }
  return shaped;
}

/** A 2025 error as a 2026-07-28 client must see it: the retired -32002 becomes -32602 with the URI in `data`. */
export function modernErrorFromLegacy(error: JsonRpcErrorObject, request: { params?: Record<string, unknown> } = {}): JsonRpcErrorObject {
  if (error.code !== ErrorCodes.legacyResourceNotFound) return error;
  const uri = typeof request.params?.uri === 'string' ? request.params.uri : undefined;
  const data = typeof error.data === 'object' && error.data !== null ? error.data : {};
  return { code: ErrorCodes.invalidParams, message: error.message || 'Resource not found', data: { ...data, ...(uri ? { uri } : {}) } };
}

/**
 * A 2025 upstream's -32042 (URL elicitation required) as the 2026-07-28 equivalent: an `input_required`
 * result with URL-mode elicitations. After the client's retry the gateway re-sends the original call.
 * Undefined when the error is not a well-formed -32042.
 */
export function urlElicitationErrorToInputRequired(error: JsonRpcErrorObject, requestState: string): InputRequiredResult | undefined {
  if (error.code !== ErrorCodes.legacyUrlElicitationRequired) return undefined;
  const elicitations = (error.data as { elicitations?: unknown } | undefined)?.elicitations;
  if (!Array.isArray(elicitations) || elicitations.length === 0) return undefined;
  const inputRequests: Record<string, InputRequestEntry> = {};
  for (const [index, item] of elicitations.entries()) {
    const { url, message, elicitationId } = (item ?? {}) as Record<string, unknown>;
    if (typeof url !== 'string' || typeof message !== 'string') return undefined;
    inputRequests[`url-${typeof elicitationId === 'string' ? elicitationId : index}`] = { method: 'elicitation/create', params: { mode: 'url', url, message } };
  }
  return { resultType: 'input_required', inputRequests, requestState };
}
