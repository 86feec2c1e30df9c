// What the two conformance fixtures (this one and @airlock/mcp-fixture-next) share: the conformance CLI
// runner, the node HTTP plumbing and the CLI entry. Imported as `@airlock/mcp-fixture/kit`, which loads
// no MCP SDK.
export { conformancePackageDir, countChecks, runConformanceCli } from './conformance-cli.js';
export type { CheckCounts, ConformanceCheck, ConformanceCliResult } from './conformance-cli.js';
export { isLoopbackBind, jsonRpcError, listenFixture, MAX_BODY_BYTES, readBody } from './node-http.js';
export type { ListeningFixture } from './node-http.js';
export { exitWithUsage, fixtureCliOptions, runFixtureMain, serveUntilSignal } from './fixture-cli.js';
