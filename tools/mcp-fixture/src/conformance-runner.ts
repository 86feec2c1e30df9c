import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

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

const require = createRequire(import.meta.url);

function cliPath(line: '0.1' | '0.2'): string {
  // The 0.2 alpha is installed under the npm alias `conformance-next` next to the 0.1 line.
  const pkg = line === '0.1' ? '@modelcontextprotocol/conformance/package.json' : 'conformance-next/package.json';
  return join(dirname(require.resolve(pkg)), 'dist', 'index.js');
}

/**
 * Runs the MCP conformance CLI in server mode against `url` and reads its per-scenario checks.json files
 * (stable structure) rather than its pretty output. Needs Node 22+ on PATH (the CLI uses fs.globSync).
 */
export async function runConformance(url: string, run: ConformanceRun): Promise<ConformanceSummary> {
  const outDir = await mkdtemp(join(tmpdir(), 'airlock-conformance-'));
  const args = [cliPath(run.line), 'server', '--url', url, '-o', outDir];
  if (run.line === '0.1') args.push(...(run.scenario ? ['--scenario', run.scenario] : ['--suite', run.suite]));
  else args.push(...(run.scenario ? ['--scenario', run.scenario, '--spec-version', run.requirements] : ['--requirements', run.requirements]));
  try {
    const { exitCode, output } = await new Promise<{ exitCode: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ exitCode: code, output }));
    });
    const scenarios: ScenarioResult[] = [];
    for (const entry of (await readdir(outDir)).sort()) {
      const raw = await readFile(join(outDir, entry, 'checks.json'), 'utf8').catch(() => undefined);
      if (raw === undefined) continue;
      const checks = JSON.parse(raw) as Array<{ id: string; status: string; errorMessage?: string }>;
      const scenario = entry.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, '');
      scenarios.push({
        scenario,
        passed: checks.filter((check) => check.status === 'SUCCESS').length,
        failed: checks.filter((check) => check.status === 'FAILURE').length,
        warnings: checks.filter((check) => check.status === 'WARNING').length,
        failures: checks.filter((check) => check.status === 'FAILURE').map((check) => ({ id: check.id, message: check.errorMessage ?? '' })),
      });
    }
    return {
      scenarios,
      passed: scenarios.reduce((sum, s) => sum + s.passed, 0),
      failed: scenarios.reduce((sum, s) => sum + s.failed, 0),
      exitCode,
      output,
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
