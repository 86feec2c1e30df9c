export type { DiscardedJobs, Job, JobFailure, JobHandler, JobOptions, QueueBackend, QueueBackendHooks, QueueDepth, QueueWorker } from './queue-backend.js';
export { QueueUnavailableError } from './queue-errors.js';
export { createBullMqBackend } from './bullmq-backend.js';
export type { BullMqBackendOptions } from './bullmq-backend.js';
export { createMemoryQueueBackend } from './memory-queue-backend.js';
export type { MemoryQueueBackendOptions } from './memory-queue-backend.js';
export { TRACE_CONTEXT_KEY, tracedQueueBackend } from './traced-queue-backend.js';
