import { z } from 'zod';
import { tenantSlugSchema } from './tenant.js';
import { upstreamServerNameSchema, upstreamTransportSchema } from './admin.js';

// "Test connection" of an upstream MCP server: the admin API asks a gateway replica (where upstreams are
// reached: its egress policy, its stdio sandbox) to connect to the saved server, initialize, list its tools
// and close, and answers what happened. The auth server publishes a request on UPSTREAM_TEST_CHANNEL;
// every replica hears it, one claims it (a hot-store key set if absent) and publishes the result on the
// request's reply channel. Nothing is stored.

export const UPSTREAM_TEST_CHANNEL = 'airlock:upstream-test';
/** Where the result of one test is published. */
export const upstreamTestReplyChannel = (id: string): string => `airlock:upstream-test:reply:${id}`;
/** The hot-store key one replica sets (if absent) to take a test: the others leave it. */
export const upstreamTestClaimKey = (id: string): string => `airlock:upstream-test:claim:${id}`;

export const upstreamTestRequestSchema = z.object({
  id: z.string().min(16).max(64),
  tenant: tenantSlugSchema,
  server: upstreamServerNameSchema,
  /** Epoch ms after which no one waits for the answer: a replica that hears it later drops it. */
  deadline: z.number().int(),
});
export type UpstreamTestRequest = z.infer<typeof upstreamTestRequestSchema>;

/** How far the test got: where it failed, or `tools/list` when it went through. */
export const upstreamTestStageSchema = z.enum(['config', 'connect', 'initialize', 'tools/list']);
export type UpstreamTestStage = z.infer<typeof upstreamTestStageSchema>;

/**
 * Why a test failed. `egress_refused`: the gateway's upstream address policy; `unreachable`: nothing
 * answered at the address (refused, DNS, reset); `timeout`: no answer in time; `http_status`: the upstream
 * answered HTTP with an error status (401/403 say the credentials); `protocol_error`: it answered, but not
 * as an MCP server (a JSON-RPC error, a malformed message); `process_exited`: a stdio server ended before
 * it answered (its last stderr line in the message); `sandbox_unavailable`, `command_missing`, `path_refused`:
 * the stdio sandbox could not be built; `credentials_unavailable`: the credential cannot be used without a
 * user (token exchange) or its token request failed; `disabled`: the server is switched off.
 */
export const upstreamTestErrorCodeSchema = z.enum([
  'egress_refused',
  'unreachable',
  'timeout',
  'http_status',
  'protocol_error',
  'process_exited',
  'sandbox_unavailable',
  'command_missing',
  'path_refused',
  'credentials_unavailable',
  'disabled',
  'failed',
]);
export type UpstreamTestErrorCode = z.infer<typeof upstreamTestErrorCodeSchema>;

export const upstreamTestResultSchema = z.looseObject({
  ok: z.boolean(),
  server: upstreamServerNameSchema,
  transport: upstreamTransportSchema,
  /** The stage that failed, or `tools/list` when everything went through. */
  stage: upstreamTestStageSchema,
  error: z.looseObject({ code: upstreamTestErrorCodeSchema, message: z.string() }).optional(),
  /** Milliseconds: connect + initialize (a stdio server's start included), tools/list, the whole test. */
  timings: z.looseObject({ initializeMs: z.number().nonnegative().optional(), toolsListMs: z.number().nonnegative().optional(), totalMs: z.number().nonnegative() }),
  /** What initialize negotiated (null: it did not get that far, or a 2026-07-28 upstream has no initialize). */
  protocolVersion: z.string().nullable(),
  serverInfo: z.looseObject({ name: z.string(), version: z.string() }).nullable(),
  /** The tools the upstream listed (first page): how many, and the first 100 names. */
  tools: z.looseObject({ count: z.number().int().nonnegative(), names: z.array(z.string()) }).nullable(),
  testedAt: z.iso.datetime(),
  /** The gateway replica that ran the test. */
  replica: z.string(),
});
export type UpstreamTestResult = z.infer<typeof upstreamTestResultSchema>;
