export { createFixtureState, createNextFixtureServer } from './fixture-server.js';
export type { FixtureNotifier, FixtureState, NextFixtureOptions } from './fixture-server.js';
export { startNextFixtureHttp } from './http-host.js';
export type { NextFixtureHttpHandle, NextFixtureHttpOptions } from './http-host.js';
export { runRequirements, scoredServerScenarios } from './conformance-runner.js';
export type { RequirementsRun, RequirementsSummary, ScenarioOutcome } from './conformance-runner.js';
