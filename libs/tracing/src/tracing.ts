import { AsyncLocalStorage } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span, SpanContext, Tracer } from '@opentelemetry/api';
import { parseTraceParent, TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';

// OpenTelemetry tracing, off unless configured. Nothing here is registered globally (no global tracer
// provider, context manager or propagator): several services run in one process (`npm start`, tests), each
// with its own provider. The request being traced is carried in this module's AsyncLocalStorage, entered
// only by a traced request; with tracing off in the whole process, `startSpan` and `currentTraceparent` are
// one boolean check and return undefined (no span objects, no context lookups).

/** What `@airlock/config` parses from the OTEL_* variables (see the README's "Tracing"). */
export interface TracingConfig {
  /** The OTLP/HTTP traces URL (`.../v1/traces`); undefined: tracing is off. */
  tracesUrl: string | undefined;
  /** Headers sent with every export (a collector's API key): secrets. */
  credentialHeaders: ReadonlyArray<readonly [string, string]>;
  /** The share of new traces recorded (0..1); a caller's sampled flag is followed (parent-based). */
  sampleRatio: number;
  /** How often the batch of ended spans is exported (ms). */
  scheduleDelayMs: number;
  /** Ended spans held for export at most (more are dropped); SDK default 2048. */
  maxQueueSize?: number;
  /** Spans per export request at most; SDK default 512. */
  maxExportBatchSize?: number;
}

/** The span of the traced request the current code runs for. */
interface Scope {
  readonly tracer: Tracer;
  readonly context: Context;
}

const scopes = new AsyncLocalStorage<Scope>();
/** True once any service of this process started tracing: until then every helper returns at once. */
let anyEnabled = false;
let providersStarted = 0;

/** How many tracer providers (and OTLP exporters) this process started: 0 while tracing is off everywhere. */
export function tracingProvidersStarted(): number {
  return providersStarted;
}

/** Epoch milliseconds with sub-millisecond precision (what OTel's TimeInput takes). */
const now = (): number => performance.timeOrigin + performance.now();

/**
 * A child span of the traced request this code runs for, or undefined (tracing off, or no traced request
 * here). The caller ends it (`endSpan`).
 */
export function startSpan(name: string, kind: SpanKind, attributes?: Attributes): Span | undefined {
  if (!anyEnabled) return undefined;
  const scope = scopes.getStore();
  return scope?.tracer.startSpan(name, attributes ? { kind, attributes } : { kind }, scope.context);
}

/** Ends a span; an error sets its status and `error.type` (the error's code or class, never its message). */
export function endSpan(span: Span, error?: unknown): void {
  if (error !== undefined) failSpan(span, error);
  span.end();
}

export function failSpan(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR });
  span.setAttribute('error.type', errorType(error));
}

function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') return String(code);
    return (error as { constructor?: { name?: string } }).constructor?.name ?? 'Error';
  }
  return typeof error;
}

/** W3C `traceparent` of a span (what goes upstream in the headers and `params._meta`). */
export function traceparentOf(span: Span): string {
  const context = span.spanContext();
  return `00-${context.traceId}-${context.spanId}-${(context.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** W3C `tracestate` of a span, if the trace carries one. */
export function tracestateOf(span: Span): string | undefined {
  const state = span.spanContext().traceState?.serialize();
  return state ? state : undefined;
}

/** The remote parent a `traceparent` (and `tracestate`) names, or the root context when there is none or it is malformed. */
export function parentContext(traceparent: unknown, tracestate: unknown): Context {
  if (typeof traceparent !== 'string') return ROOT_CONTEXT;
  const parsed = parseTraceParent(traceparent);
  if (!parsed) return ROOT_CONTEXT;
  const remote: SpanContext = { ...parsed, isRemote: true };
  if (typeof tracestate === 'string' && tracestate !== '') remote.traceState = new TraceState(tracestate);
  return trace.setSpanContext(ROOT_CONTEXT, remote);
}

/** Runs `fn` with `span` as the current span (its children nest under it). */
export function withSpan<T>(tracer: Tracer, span: Span, parent: Context, fn: () => T): T {
  return scopes.run({ tracer, context: trace.setSpan(parent, span) }, fn);
}

/** Runs `fn` as a child span of the current traced request (a leaf or a parent of its own), ended when `fn` settles. */
export async function inChildSpan<T>(name: string, kind: SpanKind, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  const scope = anyEnabled ? scopes.getStore() : undefined;
  if (!scope) return fn(undefined as unknown as Span);
  const span = scope.tracer.startSpan(name, { kind, attributes }, scope.context);
  try {
    const result = await scopes.run({ tracer: scope.tracer, context: trace.setSpan(scope.context, span) }, () => fn(span));
    span.end();
    return result;
  } catch (error) {
    endSpan(span, error);
    throw error;
  }
}

interface EarlyStep {
  name: string;
  start: number;
  end: number;
  attributes: Attributes | undefined;
  error: unknown;
}

/**
 * The server span of one HTTP request. It is opened once its name and parent are known (an MCP request's
 * method and `params._meta.traceparent` are in the body, read after the token check); steps that run before
 * that (the token check) are timed and become its children when it opens.
 */
export class RequestTrace {
  private readonly startTime = now();
  private span: Span | undefined;
  private context: Context | undefined;
  private steps: EarlyStep[] | undefined;
  private error: unknown;

  constructor(
    private readonly tracer: Tracer,
    private readonly headerParent: string | undefined,
    private readonly headerState: string | undefined,
    private readonly fallbackName: string,
    private readonly baseAttributes: Attributes,
  ) {}

  /** A step before the span opens (or a child once it has): timed, then recorded as a child span. */
  async step<T>(name: string, attributes: Attributes | undefined, fn: () => Promise<T>): Promise<T> {
    if (this.span) return scopes.run({ tracer: this.tracer, context: this.context! }, () => inChildSpan(name, SpanKind.INTERNAL, attributes ?? {}, () => fn()));
    const start = now();
    try {
      const result = await fn();
      (this.steps ??= []).push({ name, start, end: now(), attributes, error: undefined });
      return result;
    } catch (error) {
      (this.steps ??= []).push({ name, start, end: now(), attributes, error });
      throw error;
    }
  }

  /**
   * Opens the span as `name` with `attributes`; its parent is the message's `_meta.traceparent` when it has
   * one, else the request's `traceparent` header, else none (a new trace). Opened already: renamed.
   */
  open(name: string, attributes: Attributes, meta?: Record<string, unknown>): void {
    if (this.span) {
      this.span.updateName(name);
      this.span.setAttributes(attributes);
      return;
    }
    const metaParent = meta?.['traceparent'];
    const parent = typeof metaParent === 'string' ? parentContext(metaParent, meta?.['tracestate']) : parentContext(this.headerParent, this.headerState);
    const span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, startTime: this.startTime, attributes: { ...this.baseAttributes, ...attributes } }, parent);
    this.span = span;
    this.context = trace.setSpan(parent, span);
    for (const step of this.steps ?? []) {
      const child = this.tracer.startSpan(step.name, step.attributes ? { kind: SpanKind.INTERNAL, startTime: step.start, attributes: step.attributes } : { kind: SpanKind.INTERNAL, startTime: step.start }, this.context);
      if (step.error !== undefined) failSpan(child, step.error);
      child.end(step.end);
    }
    this.steps = undefined;
  }

  setAttribute(key: string, value: string | number | boolean): void {
    this.span?.setAttribute(key, value);
  }

  /** Runs the rest of the request with this span current, so `startSpan` below makes its children. */
  run<T>(fn: () => T): T {
    if (!this.span) this.open(this.fallbackName, {});
    return scopes.run({ tracer: this.tracer, context: this.context! }, fn);
  }

  /** The request failed with `error` (its code becomes `error.type`). */
  fail(error: unknown): void {
    this.error = error;
  }

  /** The response is finished (or the client went away). */
  end(status: number): void {
    if (!this.span) this.open(this.fallbackName, {});
    const span = this.span!;
    if (status > 0) span.setAttribute('http.response.status_code', status);
    if (this.error !== undefined) failSpan(span, this.error);
    else if (status >= 500) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      span.setAttribute('error.type', String(status));
    }
    span.end();
  }
}

/** One service's tracing: `Tracing.OFF`, or a tracer provider exporting OTLP/HTTP JSON. */
export class Tracing {
  static readonly OFF = new Tracing(undefined, undefined);

  readonly enabled: boolean;

  private constructor(
    private readonly provider: TracerProvider | undefined,
    readonly tracer: Tracer | undefined,
  ) {
    this.enabled = tracer !== undefined;
  }

  /** Starts tracing for `service` (`service.name` = `airlock-<service>`) when `config` names an endpoint; else `Tracing.OFF`. */
  static start(config: TracingConfig, service: string, version = '0.1.0'): Tracing {
    if (!config.tracesUrl) return Tracing.OFF;
    const exporter = new OTLPTraceExporter({ url: config.tracesUrl, headers: Object.fromEntries(config.credentialHeaders) });
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': `airlock-${service}`, 'service.namespace': 'airlock', 'service.version': version }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.sampleRatio) }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter,
          scheduledDelayMillis: config.scheduleDelayMs,
          ...(config.maxQueueSize ? { maxQueueSize: config.maxQueueSize } : {}),
          ...(config.maxExportBatchSize ? { maxExportBatchSize: config.maxExportBatchSize } : {}),
        }),
      ],
    });
    anyEnabled = true;
    providersStarted += 1;
    return new Tracing(provider, provider.getTracer('airlock', version));
  }

  /**
   * The server span of one HTTP request (call only when `enabled`): `fallbackName` names it if it is never
   * opened with a better one. A `traceparent` header continues the caller's trace.
   */
  begin(headers: Record<string, string | string[] | undefined>, fallbackName: string, attributes: Attributes = {}): RequestTrace {
    const parent = headers['traceparent'];
    const state = headers['tracestate'];
    return new RequestTrace(this.tracer!, typeof parent === 'string' ? parent : undefined, typeof state === 'string' ? state : undefined, fallbackName, attributes);
  }

  /**
   * Runs `fn` in a span of its own (a queue job, a timer), continuing `carrier`'s trace when it names one
   * (a job enqueued by a traced request carries its `traceparent`). Off: just `fn()`.
   */
  async inSpan<T>(name: string, kind: SpanKind, attributes: Attributes, carrier: { traceparent?: unknown; tracestate?: unknown } | undefined, fn: () => Promise<T>): Promise<T> {
    if (!this.tracer) return fn();
    const parent = parentContext(carrier?.traceparent, carrier?.tracestate);
    const span = this.tracer.startSpan(name, { kind, attributes }, parent);
    try {
      const result = await withSpan(this.tracer, span, parent, fn);
      span.end();
      return result;
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
  }

  /** Exports what has ended (tests; shutdown does it too). */
  async flush(): Promise<void> {
    await this.provider?.forceFlush();
  }

  /** Exports what has ended and stops the exporter. */
  async shutdown(): Promise<void> {
    await this.provider?.shutdown();
  }
}

/**
 * The `traceparent` (and `tracestate`) of the current traced request's innermost span, for a message that
 * leaves this process (a queued job); undefined when tracing is off or nothing is traced here.
 */
export function currentTraceCarrier(): { traceparent: string; tracestate?: string } | undefined {
  if (!anyEnabled) return undefined;
  const scope = scopes.getStore();
  if (!scope) return undefined;
  const span = trace.getSpan(scope.context);
  if (!span) return undefined;
  const state = tracestateOf(span);
  return state ? { traceparent: traceparentOf(span), tracestate: state } : { traceparent: traceparentOf(span) };
}

export { SpanKind };
export type { Attributes, Span };
