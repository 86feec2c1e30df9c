import { SpanKind, endSpan, startSpan, traceparentOf, tracestateOf } from '@airlock/tracing';
import type { Tracing } from '@airlock/tracing';
import type { JobHandler, JobOptions, QueueBackend, QueueDepth, QueueWorker } from './queue-backend.js';

/** The key a traced producer adds to a job's data: its W3C trace context. Handlers' schemas ignore it; workers here strip it. */
export const TRACE_CONTEXT_KEY = '_trace';

interface Carrier {
  traceparent?: unknown;
  tracestate?: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Queue jobs as spans (OpenTelemetry messaging conventions): a job enqueued while a traced request runs gets
 * a PRODUCER span (`send <queue>`) whose context rides in the job's data (`_trace`); every job a worker runs
 * is a CONSUMER span (`process <queue>`), the child of that producer span when the job carries one, else a
 * trace of its own. With tracing off this is the backend itself (nothing wrapped).
 */
export function tracedQueueBackend(backend: QueueBackend, tracing: Tracing): QueueBackend {
  if (!tracing.enabled) return backend;
  return {
    async enqueue<T>(queue: string, name: string, data: T, options?: JobOptions): Promise<void> {
      const span = isRecord(data) ? startSpan(`send ${queue}`, SpanKind.PRODUCER, messagingAttributes(queue, name, 'send')) : undefined;
      if (!span) return backend.enqueue(queue, name, data, options);
      const state = tracestateOf(span);
      const carried = { ...(data as Record<string, unknown>), [TRACE_CONTEXT_KEY]: state ? { traceparent: traceparentOf(span), tracestate: state } : { traceparent: traceparentOf(span) } } as T;
      try {
        await backend.enqueue(queue, name, carried, options);
        endSpan(span);
      } catch (error) {
        endSpan(span, error);
        throw error;
      }
    },
    work<T>(queue: string, handler: JobHandler<T>, options?: { concurrency?: number }): QueueWorker {
      return backend.work<T>(
        queue,
        (job) => {
          let carrier: Carrier | undefined;
          let data = job.data;
          if (isRecord(data) && TRACE_CONTEXT_KEY in data) {
            const { [TRACE_CONTEXT_KEY]: trace, ...rest } = data;
            carrier = isRecord(trace) ? trace : undefined;
            data = rest as T;
          }
          const attributes = { ...messagingAttributes(queue, job.name, 'process'), 'messaging.message.id': job.id, 'airlock.job.attempt': job.attempt };
          return tracing.inSpan(`process ${queue}`, SpanKind.CONSUMER, attributes, carrier, () => handler(data === job.data ? job : { ...job, data }));
        },
        options,
      );
    },
    repeat: (queue: string, name: string, everyMs: number) => backend.repeat(queue, name, everyMs),
    drain: (queue: string, timeoutMs?: number) => backend.drain(queue, timeoutMs),
    depth: (queue: string): Promise<QueueDepth> => backend.depth(queue),
    ping: () => backend.ping(),
    close: () => backend.close(),
  };
}

function messagingAttributes(queue: string, name: string, operation: 'send' | 'process'): Record<string, string> {
  return { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, 'messaging.operation.type': operation, 'messaging.operation.name': operation, 'airlock.job.name': name };
}
