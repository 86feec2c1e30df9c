export {
  RequestTrace,
  SpanKind,
  Tracing,
  currentTraceCarrier,
  endSpan,
  failSpan,
  inChildSpan,
  parentContext,
  startSpan,
  traceparentOf,
  tracestateOf,
  tracingProvidersStarted,
  withSpan,
} from './tracing.js';
export type { Attributes, Span, TracingConfig } from './tracing.js';
