#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { runConformance } from './conformance-runner.js';

// `node tools/mcp-fixture/dist/run-conformance.js --url U (--suite active|pending|all | --requirements R)`
// prints a JSON summary; for tests of other projects, which spawn it rather than import a tool.

const { values } = parseArgs({ options: { url: { type: 'string' }, suite: { type: 'string' }, requirements: { type: 'string' }, scenario: { type: 'string' } } });
if (!values.url || Boolean(values.suite) === Boolean(values.requirements)) {
  process.stderr.write('usage: run-conformance --url URL (--suite active|pending|all | --requirements 2025-11-25|2026-07-28) [--scenario S]\n');
  process.exit(2);
}
const summary = values.suite
  ? await runConformance(values.url, { line: '0.1', suite: values.suite as 'active' | 'pending' | 'all', ...(values.scenario ? { scenario: values.scenario } : {}) })
  : await runConformance(values.url, { line: '0.2', requirements: values.requirements as '2025-11-25' | '2026-07-28', ...(values.scenario ? { scenario: values.scenario } : {}) });
process.stdout.write(`${JSON.stringify({ ...summary, output: undefined })}\n`);
process.exit(summary.failed === 0 ? 0 : 1);
