export { closeHttpApp, createHttpApp, httpLifecycleOf, httpProtocolOf, listenHttpApp } from './create-http-app.js';
export type { CreateHttpAppOptions, HttpMetricsSink, HttpProtocol } from './create-http-app.js';
export { HttpExceptionFilter } from './exception-filter.js';
export { HttpLifecycle } from './http-lifecycle.js';
export type { DrainHook } from './http-lifecycle.js';
export { mountRawHandler } from './raw-handler.js';
export type { RawHandler, RawMount, RawRequest, RawResponse } from './raw-handler.js';
export { runReadiness } from './readiness.js';
export type { CheckOutcome, DegradedDetail, ReadinessCheck, ReadinessReport } from './readiness.js';
