import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

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

const require = createRequire(import.meta.url);
// The 0.2 alpha line is installed under the npm alias `conformance-next`, beside the 0.1 line.
const packageDir = dirname(require.resolve('conformance-next/package.json'));

/** The scored server scenarios of a revision, from the package's frozen requirements file. */
export async function scoredServerScenarios(requirements: RequirementsRun['requirements']): Promise<string[]> {
  const yaml = await readFile(join(packageDir, 'requirements', `${requirements}.yaml`), 'utf8');
  const section = /^server:\n((?:\s+-\s+\S+\n)+)/m.exec(yaml)?.[1] ?? '';
  return [...section.matchAll(/^\s+-\s+(\S+)$/gm)].map((match) => match[1] ?? '').filter(Boolean);
}

/**
 * Runs the conformance CLI (0.2 alpha) in server mode with `--requirements`, and reads the per-scenario
 * checks.json files (a stable structure) rather than its pretty output. Needs Node 22+ (fs.globSync).
 */
export async function runRequirements(url: string, run: RequirementsRun): Promise<RequirementsSummary> {
  const outDir = await mkdtemp(join(tmpdir(), 'airlock-conformance-next-'));
  const args = [join(packageDir, 'dist', 'index.js'), 'server', '--url', url, '-o', outDir];
  args.push(...(run.scenario ? ['--scenario', run.scenario, '--spec-version', run.requirements] : ['--requirements', run.requirements]));
  if (run.expectedFailures) args.push('--expected-failures', run.expectedFailures);
  try {
    const { exitCode, output } = await new Promise<{ exitCode: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ exitCode: code, output }));
    });
    const scored = new Set(await scoredServerScenarios(run.requirements));
    const scenarios: ScenarioOutcome[] = [];
    for (const entry of (await readdir(outDir)).sort()) {
      const raw = await readFile(join(outDir, entry, 'checks.json'), 'utf8').catch(() => undefined);
      if (raw === undefined) continue;
      const checks = JSON.parse(raw) as Array<{ id: string; status: string; errorMessage?: string }>;
      const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
      const failures = checks.filter((check) => check.status === 'FAILURE');
      scenarios.push({
        scenario,
        scored: scored.has(scenario),
        passed: checks.filter((check) => check.status === 'SUCCESS').length,
        failed: failures.length,
        warnings: checks.filter((check) => check.status === 'WARNING').length,
        failures: failures.map((check) => ({ id: check.id, message: check.errorMessage ?? '' })),
      });
    }
    const scoredOutcomes = scenarios.filter((s) => s.scored);
    return {
      scenarios,
      scoredPassed: scoredOutcomes.reduce((sum, s) => sum + s.passed, 0),
      scoredFailed: scoredOutcomes.reduce((sum, s) => sum + s.failed, 0),
      scenariosPassing: scoredOutcomes.filter((s) => s.failed === 0).map((s) => s.scenario),
      exitCode,
      output,
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
