// The one error type of the gateway. A GatewayError says what went wrong as a code; what the client sees
// (status, JSON-RPC error, challenge) is decided from the code in error-response.ts, never at the throw site.

/** Every way the gateway refuses or fails a request. error-response.ts maps each one. */
export const GATEWAY_ERROR_CODES = [
  // HTTP edge
  'not_found',
  'forbidden_host',
  'forbidden_origin',
  'not_acceptable',
  'unsupported_media_type',
  'method_not_allowed',
  'payload_too_large',
  'bad_request',
  'unsupported_protocol_version',
  'parse_error',
  'invalid_request',
  'session_not_found',
  'rate_limited',
  'shutting_down',
  'dependency_unavailable',
  // Bearer authentication (RFC 6750 / MCP authorization)
  'unauthorized',
  'invalid_token_request',
  'insufficient_scope',
  'auth_unavailable',
  // JSON-RPC, answered inside the exchange
  'method_not_found',
  'invalid_params',
  'unknown_tool',
  // A tool-call observer's `before` vetoed the call (policy).
  'tool_call_refused',
  // The tool's definition changed since an admin approved it (pinned tool definitions).
  'tool_withheld',
  'resource_not_found',
  'missing_client_capability',
  // Connected accounts: the user has no account at an oauth_user upstream (the message carries the link),
  // and the same as MCP 2025-11-25 URLElicitationRequiredError for a client that declared elicitation.url.
  'account_not_connected',
  'url_elicitation_required',
  // Upstream
  'upstream_unavailable',
  'upstream_refused',
  'upstream_blocked',
  'upstream_error',
  'internal',
] as const;

export type GatewayErrorCode = (typeof GATEWAY_ERROR_CODES)[number];

/** The parameters of a Bearer challenge that the refusal decides (RFC 6750 section 3, RFC 9728 `resource_metadata`). */
export interface ChallengeInput {
  resourceMetadata: string;
  /** Scopes the request needs (`scope`). */
  scope?: readonly string[];
  /** Whether the challenge names the error: not for a request that carried no token (RFC 6750 section 3.1). */
  namesError: boolean;
}

export interface GatewayErrorOptions {
  /** What the client may read; defaults to the code's standard message. */
  message?: string;
  /** JSON-RPC `data` the client may read. */
  data?: unknown;
  /** What stays in the log: internal names, upstream answers, causes. */
  detail?: string;
  cause?: unknown;
  /** Facts for the audit record of a refused call (never sent to the client). */
  auditDetails?: Record<string, unknown>;
  /** Seconds before a retry may succeed (Retry-After). */
  retryAfterSeconds?: number;
  /** For the bearer codes: the challenge to send. */
  challenge?: ChallengeInput;
  /** For method_not_allowed: the methods the endpoint accepts (Allow). */
  allow?: string;
}

export class GatewayError extends Error {
  readonly code: GatewayErrorCode;
  /** Safe to show the client: `message` is the client-visible text, `detail` the log-only one. */
  readonly clientMessage: string | undefined;
  readonly data: unknown;
  readonly detail: string | undefined;
  readonly auditDetails: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly challenge: ChallengeInput | undefined;
  readonly allow: string | undefined;

  constructor(code: GatewayErrorCode, options: GatewayErrorOptions = {}) {
    // Error.message is what a log line shows (`err`): the detail when there is one; the client's text lives apart.
    super(options.detail ?? options.message ?? code, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.clientMessage = options.message;
    this.data = options.data;
    this.detail = options.detail;
    this.auditDetails = options.auditDetails;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.challenge = options.challenge;
    this.allow = options.allow;
  }
}

export const isGatewayError = (error: unknown): error is GatewayError => error instanceof GatewayError;
