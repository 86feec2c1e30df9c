import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** One check of a scenario, as the conformance CLI writes it to `<scenario>/checks.json`. */
export interface ConformanceCheck {
  id: string;
  status: string;
  errorMessage?: string;
}

export interface CheckCounts {
  passed: number;
  failed: number;
  warnings: number;
  failures: Array<{ id: string; message: string }>;
}

export interface ConformanceCliResult {
  /** Per scenario (directory names without the `server-` prefix and timestamp), sorted by name. */
  scenarios: Array<{ scenario: string; checks: ConformanceCheck[] }>;
  exitCode: number | null;
  output: string;
}

const require = createRequire(import.meta.url);

/** Where a conformance line is installed: 0.1 as `@modelcontextprotocol/conformance`, the 0.2 alpha under the npm alias `conformance-next`. */
export function conformancePackageDir(line: '0.1' | '0.2'): string {
  return dirname(require.resolve(line === '0.1' ? '@modelcontextprotocol/conformance/package.json' : 'conformance-next/package.json'));
}

/**
 * Runs the conformance CLI of `line` in server mode against `url` with `args`, and reads the per-scenario
 * checks.json files (a stable structure) rather than its pretty output. Needs Node 22+ (fs.globSync).
 */
export async function runConformanceCli(line: '0.1' | '0.2', url: string, args: string[]): Promise<ConformanceCliResult> {
  const outDir = await mkdtemp(join(tmpdir(), 'airlock-conformance-'));
  try {
    const { exitCode, output } = await new Promise<{ exitCode: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [join(conformancePackageDir(line), 'dist', 'index.js'), 'server', '--url', url, '-o', outDir, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('error', reject);
      child.once('close', (code) => resolve({ exitCode: code, output }));
    });
    const scenarios: ConformanceCliResult['scenarios'] = [];
    for (const entry of (await readdir(outDir)).sort()) {
      const raw = await readFile(join(outDir, entry, 'checks.json'), 'utf8').catch(() => undefined);
      if (raw === undefined) continue;
      scenarios.push({ scenario: entry.replace(/^server-/, '').replace(/-\d{4}-\d{2}-\d{2}T[\d-]+Z$/, ''), checks: JSON.parse(raw) as ConformanceCheck[] });
    }
    return { scenarios, exitCode, output };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

export function countChecks(checks: ConformanceCheck[]): CheckCounts {
  const failures = checks.filter((check) => check.status === 'FAILURE');
  return {
    passed: checks.filter((check) => check.status === 'SUCCESS').length,
    failed: failures.length,
    warnings: checks.filter((check) => check.status === 'WARNING').length,
    failures: failures.map((check) => ({ id: check.id, message: check.errorMessage ?? '' })),
  };
}
