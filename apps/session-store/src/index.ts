export { startSessionStore } from './session-store.js';
export type { SessionStoreTuning, StartedSessionStore, StartSessionStoreOptions } from './session-store.js';
export { generateSessionId } from './sessions/session-id.js';
export { SessionJobs } from './jobs/session-jobs.js';
