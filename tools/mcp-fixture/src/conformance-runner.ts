import { countChecks, runConformanceCli } from './kit/conformance-cli.js';

/** Which conformance package runs: the 0.1 line (`suite`) or the 0.2 alpha line (`requirements`). */
export type ConformanceRun =
  | { line: '0.1'; suite: 'active' | 'pending' | 'all'; scenario?: string }
  | { line: '0.2'; requirements: '2025-11-25' | '2026-07-28'; scenario?: string };

export interface ScenarioResult {
  scenario: string;
  passed: number;
  failed: number;
  warnings: number;
  failures: Array<{ id: string; message: string }>;
}

export interface ConformanceSummary {
  scenarios: ScenarioResult[];
  passed: number;
  failed: number;
  exitCode: number | null;
  output: string;
}

/** Runs the MCP conformance CLI in server mode against `url` (see runConformanceCli). */
export async function runConformance(url: string, run: ConformanceRun): Promise<ConformanceSummary> {
  const args =
    run.line === '0.1'
      ? run.scenario
        ? ['--scenario', run.scenario]
        : ['--suite', run.suite]
      : run.scenario
        ? ['--scenario', run.scenario, '--spec-version', run.requirements]
        : ['--requirements', run.requirements];
  const { scenarios: raw, exitCode, output } = await runConformanceCli(run.line, url, args);
  const scenarios = raw.map(({ scenario, checks }) => ({ scenario, ...countChecks(checks) }));
  return {
    scenarios,
    passed: scenarios.reduce((sum, s) => sum + s.passed, 0),
    failed: scenarios.reduce((sum, s) => sum + s.failed, 0),
    exitCode,
    output,
  };
}
