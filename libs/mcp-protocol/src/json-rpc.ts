// JSON-RPC 2.0 shapes as MCP peers exchange them: checked by hand (cheap, precise messages), never
// trusted beyond what is checked here. Runtime-neutral: callers decide how a malformed message is refused.

export type JsonRpcId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}
export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}
export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result?: Record<string, unknown>;
  error?: JsonRpcErrorObject;
}
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isId = (value: unknown): value is JsonRpcId => typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));

/** What is wrong with `value` as one JSON-RPC 2.0 message (an "Invalid Request: ..." text), or undefined when nothing is. */
export function jsonRpcShapeProblem(value: unknown): string | undefined {
  if (!isObject(value) || value['jsonrpc'] !== '2.0') return 'Invalid Request: not a JSON-RPC 2.0 message';
  const hasId = 'id' in value;
  if (hasId && !isId(value['id'])) return 'Invalid Request: id must be a string or an integer';
  if ('params' in value && value['params'] !== undefined && !isObject(value['params'])) return 'Invalid Request: params must be an object';
  if ('method' in value) {
    if (typeof value['method'] !== 'string' || value['method'] === '') return 'Invalid Request: method must be a string';
    return undefined;
  }
  const hasResult = 'result' in value;
  const hasError = 'error' in value;
  if (!hasId || hasResult === hasError) return 'Invalid Request: neither a request, a notification nor a response';
  if (hasResult && !isObject(value['result'])) return 'Invalid Request: result must be an object';
  if (hasError) {
    const error = value['error'];
    if (!isObject(error) || typeof error['code'] !== 'number' || typeof error['message'] !== 'string') return 'Invalid Request: malformed error object';
  }
  return undefined;
}

export const isRequest = (message: JsonRpcMessage): message is JsonRpcRequest => 'method' in message && 'id' in message;
export const isNotification = (message: JsonRpcMessage): message is JsonRpcNotification => 'method' in message && !('id' in message);
export const isResponse = (message: JsonRpcMessage): message is JsonRpcResponse => !('method' in message);

/** A JSON-RPC error response. `id` is null when the request's id could not be read. */
export function jsonRpcErrorResponse(id: JsonRpcId | null, error: JsonRpcErrorObject): { jsonrpc: '2.0'; id: JsonRpcId | null; error: JsonRpcErrorObject } {
  return { jsonrpc: '2.0', id, error };
}
