// The one seam every tools/call passes through, in both client-facing eras. Audit is its first observer;
// metrics, tracing and policy (issues 17, 18) register theirs at startup and never touch the routers.
import { GatewayError } from '../errors/gateway-error.js';
import type { GatewayErrorCode } from '../errors/gateway-error.js';

/** The protocol era the client speaks: 2025-11-25 sessions or 2026-07-28 stateless requests. */
export type ClientEra = '2025-11-25' | '2026-07-28';

/** One tools/call: built once per call (the only allocation the seam adds), shared by every observer. */
export interface ToolCallContext {
  readonly tenant: string;
  /** The client-facing session (2025-11-25); none for a stateless request. */
  readonly sessionId: string | undefined;
  readonly subject: string | undefined;
  readonly clientId: string | undefined;
  /** The upstream server; empty when the name could not be resolved to one (an unknown tool). */
  readonly server: string;
  /** The tool's name at the upstream (without the aggregate's `<server>__` prefix). */
  readonly tool: string;
  readonly era: ClientEra;
  readonly protocolVersion: string | undefined;
  /** The HTTP request's x-request-id, where the call is still on the request that carried it. */
  readonly requestId: string | undefined;
  /** Date.now() when the gateway took the call. */
  readonly startedAt: number;
  /** The token's `groups` claim and granted scopes (the call policy's principal); absent where unknown. */
  readonly groups?: readonly string[];
  readonly scopes?: readonly string[];
  /** The call's `arguments` as the client sent them (the call policy reads them; audit only where the tenant opts in). */
  readonly arguments?: unknown;
  /** Set at admission: the version hash of the pinned tool definition the call reaches (for the audit record). */
  toolHash?: string;
  /** Set by the call policy's `before`: the rule that allowed the call and the policy version (for the audit record). */
  policy?: { rule: string | undefined; version: number };
}

/**
 * How a call ended. `refused`: the gateway said no before the call went upstream, with the GatewayError
 * code as `reason`; `error`: the call failed once sent (at the upstream or on the way back); `tool_error`: the tool ran and
 * answered `isError`; `input_required`: a 2026-07-28 round that asks the client for more (its retry is
 * another call).
 */
export interface ToolCallOutcome {
  readonly kind: 'result' | 'tool_error' | 'error' | 'refused' | 'input_required';
  readonly reason?: GatewayErrorCode | string;
  readonly latencyMs: number;
  /** Facts of the call only one path knows (the upstream's HTTP status, a cancellation). */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * A `before` hook's no (policy): the call is answered a JSON-RPC error with `message` (GatewayError
 * `tool_call_refused`) and never goes upstream; every observer's `after` sees it `refused` with `reason`.
 */
export interface ToolCallVeto {
  readonly reason: string;
  readonly message?: string;
  /** JSON-RPC `data` the client may read (say, the refusing rule's id). */
  readonly data?: unknown;
  /** What the observers' `after` (the audit record) gets as the outcome's details. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/** What a `before` hook calls to veto the call. */
export type RefuseToolCall = (reason: string, message?: string, extra?: { data?: unknown; details?: Readonly<Record<string, unknown>> }) => void;

/**
 * An observer of tool calls. `before` runs once for a call the gateway admitted, right before it goes
 * upstream, and may veto it (the hooks after a veto do not run); `after` runs exactly once for every call,
 * refused ones included (those refused before `before` never see it).
 * Both run synchronously on the call path: an observer that needs I/O queues it (see AuditBatcher).
 */
export interface ToolCallObserver {
  /**
   * Runs before `before` on every admitted call: a promise only when the observer must load something
   * first (the call policy of a tenant not seen yet); undefined, and no await, once it is in memory.
   */
  ready?(call: ToolCallContext): Promise<void> | undefined;
  before?(call: ToolCallContext, refuse: RefuseToolCall): void;
  after?(call: ToolCallContext, outcome: ToolCallOutcome): void;
}

/**
 * A call the gateway turned down before it went upstream: `refused`, with the GatewayError code as the
 * reason (rate_limited, insufficient_scope, unknown_tool, upstream_unavailable while reading the tool
 * list, ...); anything else that stopped it there is an `error`.
 */
export function refusalOutcome(error: unknown, startedAt: number): ToolCallOutcome {
  const latencyMs = Date.now() - startedAt;
  if (!(error instanceof GatewayError)) return { kind: 'error', latencyMs };
  return error.auditDetails ? { kind: 'refused', reason: error.code, latencyMs, details: error.auditDetails } : { kind: 'refused', reason: error.code, latencyMs };
}

/** A call that failed once it had gone upstream: an `error`, with the gateway's code when it made the error. */
export function failureOutcome(error: unknown, startedAt: number): ToolCallOutcome {
  const latencyMs = Date.now() - startedAt;
  return error instanceof GatewayError ? { kind: 'error', reason: error.code, latencyMs } : { kind: 'error', latencyMs };
}

/** The outcome of a call the upstream answered with a result (a 2026-07-28 `input_required` round is not an end yet). */
export function resultOutcome(result: Record<string, unknown>, startedAt: number): ToolCallOutcome {
  const latencyMs = Date.now() - startedAt;
  if (result['resultType'] === 'input_required') return { kind: 'input_required', latencyMs };
  return { kind: result['isError'] === true ? 'tool_error' : 'result', latencyMs };
}

/**
 * Fans every event out to the observers registered at startup. An observer that throws is reported and
 * skipped: it never breaks the call nor keeps the others from seeing it.
 */
export class ToolCallObservers {
  private readonly befores: Array<(call: ToolCallContext, refuse: RefuseToolCall) => void>;
  /** The veto of the `before` loop running now (hooks are synchronous, so one field serves every call). */
  private vetoed: ToolCallVeto | undefined;
  private readonly refuse: RefuseToolCall = (reason, message, extra) => {
    this.vetoed ??= { reason, ...(message === undefined ? {} : { message }), ...extra };
  };
  private readonly readies: Array<(call: ToolCallContext) => Promise<void> | undefined>;
  private readonly afters: Array<(call: ToolCallContext, outcome: ToolCallOutcome) => void>;

  constructor(
    observers: readonly ToolCallObserver[],
    private readonly onObserverError: (error: unknown, call: ToolCallContext) => void = () => undefined,
  ) {
    // Bound once here, so a call costs a loop over the hooks that exist and nothing more.
    this.readies = observers.flatMap((observer) => (observer.ready ? [observer.ready.bind(observer)] : []));
    this.befores = observers.flatMap((observer) => (observer.before ? [observer.before.bind(observer)] : []));
    this.afters = observers.flatMap((observer) => (observer.after ? [observer.after.bind(observer)] : []));
  }

  /** What the observers must load before `before` can run (undefined: nothing, the common case). */
  ready(call: ToolCallContext): Promise<void> | undefined {
    let pending: Array<Promise<void>> | undefined;
    for (const hook of this.readies) {
      const loading = hook(call);
      if (loading) (pending ??= []).push(loading);
    }
    return pending ? Promise.all(pending).then(() => undefined) : undefined;
  }

  /** The first veto, if an observer gives one (an observer that throws vetoes nothing). */
  before(call: ToolCallContext): ToolCallVeto | undefined {
    this.vetoed = undefined;
    for (const hook of this.befores) {
      try {
        hook(call, this.refuse);
      } catch (error) {
        this.onObserverError(error, call);
      }
      if (this.vetoed) break;
    }
    const veto = this.vetoed;
    this.vetoed = undefined;
    return veto;
  }

  /** Whether any observer is registered (the edge reads a refused request's body only for them). */
  get watching(): boolean {
    return this.befores.length > 0 || this.afters.length > 0;
  }

  after(call: ToolCallContext, outcome: ToolCallOutcome): void {
    for (const hook of this.afters) {
      try {
        hook(call, outcome);
      } catch (error) {
        this.onObserverError(error, call);
      }
    }
  }
}

/** For a gateway part built without observers (tests that construct one piece alone). */
export const NO_TOOL_CALL_OBSERVERS = new ToolCallObservers([]);
