// Names and numbers of the protocol both eras share. Spelled once here; nothing else spells them by hand.

export const MetaKeys = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  logLevel: 'io.modelcontextprotocol/logLevel',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
} as const;

export const McpHeaders = {
  protocolVersion: 'mcp-protocol-version',
  method: 'mcp-method',
  name: 'mcp-name',
  sessionId: 'mcp-session-id',
  lastEventId: 'last-event-id',
} as const;

/** Every JSON-RPC error code the gateway sends or reads, standard and MCP-specific. */
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
  /** 2025-11-25 and earlier only; a 2026-07-28 peer gets -32602 instead. */
  legacyResourceNotFound: -32002,
  /** 2025-11-25 only (URL elicitation required); 2026-07-28 uses an input_required URL elicitation. */
  legacyUrlElicitationRequired: -32042,
  headerMismatch: -32020,
  missingRequiredClientCapability: -32021,
  unsupportedProtocolVersion: -32022,
} as const;

/** The server-to-client requests of 2025-11-25 that 2026-07-28 carries as `inputRequests` instead. */
export const INPUT_REQUEST_METHODS = ['sampling/createMessage', 'elicitation/create', 'roots/list'] as const;
export type InputRequestMethod = (typeof INPUT_REQUEST_METHODS)[number];

/** Requests whose result may be `input_required` (2026-07-28 MRTR, "Supported Requests"). */
export const MRTR_METHODS: readonly string[] = ['tools/call', 'prompts/get', 'resources/read'];

/** Requests whose result carries `ttlMs` / `cacheScope` on 2026-07-28. */
export const CACHEABLE_METHODS: readonly string[] = ['tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read', 'server/discover'];

/** Client-to-server requests of 2026-07-28; anything else is 404 + -32601 on the modern path. */
export const MODERN_CLIENT_METHODS: readonly string[] = [
  'server/discover',
  'tools/list',
  'tools/call',
  'prompts/list',
  'prompts/get',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'completion/complete',
  'subscriptions/listen',
];

/** Methods whose `Mcp-Name` header mirrors a body field, and which field. */
export const NAMED_METHODS: Readonly<Record<string, 'name' | 'uri'>> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

export type { JsonRpcErrorObject, JsonRpcId } from './json-rpc.js';

