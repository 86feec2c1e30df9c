import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { conformancePackageDir, countChecks, runConformanceCli } from '@airlock/mcp-fixture/kit';

export interface RequirementsRun {
  requirements: '2025-11-25' | '2026-07-28';
  /** YAML baseline (`server: [scenario, ...]`) handed to the CLI's `--expected-failures`. */
  expectedFailures?: string;
  scenario?: string;
}

export interface ScenarioOutcome {
  scenario: string;
  /** False for the requirement file's `not_scored` entries (extensions, pending): run and reported only. */
  scored: boolean;
  passed: number;
  failed: number;
  warnings: number;
  failures: Array<{ id: string; message: string }>;
}

export interface RequirementsSummary {
  scenarios: ScenarioOutcome[];
  /** Checks passed and failed in scored scenarios only: the numbers a revision's conformance is judged by. */
  scoredPassed: number;
  scoredFailed: number;
  /** Scored scenarios with no failed check. */
  scenariosPassing: string[];
  exitCode: number | null;
  output: string;
}

/** The scored server scenarios of a revision, from the package's frozen requirements file. */
export async function scoredServerScenarios(requirements: RequirementsRun['requirements']): Promise<string[]> {
  const yaml = await readFile(join(conformancePackageDir('0.2'), 'requirements', `${requirements}.yaml`), 'utf8');
  const section = /^server:\n((?:\s+-\s+\S+\n)+)/m.exec(yaml)?.[1] ?? '';
  return [...section.matchAll(/^\s+-\s+(\S+)$/gm)].map((match) => match[1] ?? '').filter(Boolean);
}

/** Runs the conformance CLI (0.2 alpha) in server mode with `--requirements` (see runConformanceCli). */
export async function runRequirements(url: string, run: RequirementsRun): Promise<RequirementsSummary> {
  const args = run.scenario ? ['--scenario', run.scenario, '--spec-version', run.requirements] : ['--requirements', run.requirements];
  if (run.expectedFailures) args.push('--expected-failures', run.expectedFailures);
  const { scenarios: raw, exitCode, output } = await runConformanceCli('0.2', url, args);
  const scored = new Set(await scoredServerScenarios(run.requirements));
  const scenarios: ScenarioOutcome[] = raw.map(({ scenario, checks }) => ({ scenario, scored: scored.has(scenario), ...countChecks(checks) }));
  const scoredOutcomes = scenarios.filter((s) => s.scored);
  return {
    scenarios,
    scoredPassed: scoredOutcomes.reduce((sum, s) => sum + s.passed, 0),
    scoredFailed: scoredOutcomes.reduce((sum, s) => sum + s.failed, 0),
    scenariosPassing: scoredOutcomes.filter((s) => s.failed === 0).map((s) => s.scenario),
    exitCode,
    output,
  };
}
