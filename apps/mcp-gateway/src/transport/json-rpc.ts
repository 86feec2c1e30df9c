// JSON-RPC 2.0 shapes as the gateway sees them on the wire: validated by hand (cheap, precise errors),
// never trusted beyond what is checked here.

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

export const ErrorCodes = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** Transport-level refusals without a better code (SDK convention). */
  serverError: -32000,
  /** Session not found (SDK convention for HTTP 404 bodies). */
  sessionNotFound: -32001,
  resourceNotFound: -32002,
} as const;

/** An error the gateway answers with: the JSON-RPC error and, outside a stream, the HTTP status. */
export class McpRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'McpRequestError';
  }
  toJsonRpc(id: JsonRpcId | null = null): { jsonrpc: '2.0'; id: JsonRpcId | null; error: JsonRpcErrorObject } {
    return { jsonrpc: '2.0', id, error: { code: this.code, message: this.message, ...(this.data === undefined ? {} : { data: this.data }) } };
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isId = (value: unknown): value is JsonRpcId => typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value));

/** Validates one message; throws -32600 describing the first problem. */
export function toJsonRpcMessage(value: unknown): JsonRpcMessage {
  if (!isObject(value) || value['jsonrpc'] !== '2.0') throw new McpRequestError(400, ErrorCodes.invalidRequest, 'Invalid Request: not a JSON-RPC 2.0 message');
  const hasId = 'id' in value;
  if (hasId && !isId(value['id'])) throw new McpRequestError(400, ErrorCodes.invalidRequest, 'Invalid Request: id must be a string or an integer');
  if ('params' in value && value['params'] !== undefined && !isObject(value['params'])) {
    throw new McpRequestError(400, ErrorCodes.invalidRequest, 'Invalid Request: params must be an object');
  }
  if ('method' in value) {
    if (typeof value['method'] !== 'string' || value['method'] === '') throw new McpRequestError(400, ErrorCodes.invalidRequest, 'Invalid Request: method must be a string');
    return value as unknown as JsonRpcMessage;
  }
  const hasResult = 'result' in value;
  const hasError = 'error' in value;
  if (!hasId || hasResult === hasError) throw new McpRequestError(400, ErrorCodes.invalidRequest, 'Invalid Request: neither a request, a notification nor a response');
  if (hasResult && !isObject(value['result'])) throw new McpRequestError(400, ErrorCodes.invalidRequest, 'Invalid Request: result must be an object');
  if (hasError) {
    const error = value['error'];
    if (!isObject(error) || typeof error['code'] !== 'number' || typeof error['message'] !== 'string') {
      throw new McpRequestError(400, ErrorCodes.invalidRequest, 'Invalid Request: malformed error object');
    }
  }
  return value as unknown as JsonRpcMessage;
}

export const isRequest = (message: JsonRpcMessage): message is JsonRpcRequest => 'method' in message && 'id' in message;
export const isNotification = (message: JsonRpcMessage): message is JsonRpcNotification => 'method' in message && !('id' in message);
export const isResponse = (message: JsonRpcMessage): message is JsonRpcResponse => !('method' in message);
