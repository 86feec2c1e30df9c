export { createLogger } from './logger.js';
export type { CreateLoggerOptions, Logger } from './logger.js';
export { createLogThrottle } from './log-throttle.js';
export type { LogThrottle, LogThrottleOptions } from './log-throttle.js';
export { isSensitiveKey, redactDeep, redactUrlCredentials, REDACTED } from './redact.js';
export { newRequestId, REQUEST_ID_HEADER, resolveRequestId } from './request-id.js';
