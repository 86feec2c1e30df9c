export { createFixtureServer } from './fixture-server.js';
export type { FixtureOptions } from './fixture-server.js';
export { startFixtureHttp } from './http-host.js';
export type { FixtureHttpHandle, FixtureHttpOptions } from './http-host.js';
export { MemoryEventStore } from './memory-event-store.js';
export { runConformance } from './conformance-runner.js';
export type { ConformanceRun, ConformanceSummary, ScenarioResult } from './conformance-runner.js';
