import { execFileSync } from 'node:child_process';
import { cpus, totalmem, platform, release } from 'node:os';

/** One line of the results table: a measured variant and the baseline it is compared with. */
export interface BenchRow {
  scenario: string;
  variant: string;
  baseline: string;
  /** Operations per second (median of rounds). */
  throughput: number;
  /** Milliseconds (median of rounds). */
  p50: number;
  p99: number;
  /** The variant's throughput over the baseline's, or another named ratio in `ratioOf`. */
  ratio: number | null;
  ratioOf?: string;
  extra?: Record<string, number | string>;
  /** The scenario (`--only` name) that measured it. */
  suite?: string;
}

/** One run that contributed rows to a merged result (`--merge`). */
export interface BenchPart {
  suites: string[];
  startedAt: string;
  finishedAt: string;
  commit: string;
  uncommitted?: string[];
  loadAverage: { atStart: number[]; atEnd: number[] };
}

export interface BenchResult {
  startedAt: string;
  finishedAt: string;
  commit: string;
  /** Source files that differed from `commit` when the run started (the services run what was built from the working tree). */
  uncommitted?: string[];
  node: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; os: string };
  /** 1, 5 and 15 minute load averages: the machine is shared, so say how busy it was. */
  loadAverage: { atStart: number[]; atEnd: number[] };
  mode: 'quick' | 'full';
  rows: BenchRow[];
  /** Scenarios that threw: their rows are missing. */
  failures: Array<{ scenario: string; error: string }>;
  /** Present when runs of different scenarios were merged (`--only X --merge`): which run measured what. */
  parts?: BenchPart[];
}

/**
 * `previous` with the rows of `result`'s scenarios replaced by `result`'s: scenarios run one at a time
 * (when a full run does not fit) still make one table, and each part says its commit and load.
 */
export function mergeResults(previous: BenchResult, result: BenchResult, suites: string[], order: string[]): BenchResult {
  const part = (r: BenchResult, names: string[]): BenchPart => ({
    suites: names,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    commit: r.commit,
    ...(r.uncommitted ? { uncommitted: r.uncommitted } : {}),
    loadAverage: r.loadAverage,
  });
  const previousParts = previous.parts ?? [part(previous, [...new Set(previous.rows.flatMap((row) => (row.suite ? [row.suite] : [])))])];
  const parts = [
    ...previousParts.map((p) => ({ ...p, suites: p.suites.filter((name) => !suites.includes(name)) })).filter((p) => p.suites.length > 0),
    part(result, suites),
  ];
  const rank = (row: BenchRow) => order.indexOf(row.suite ?? '');
  const rows = [...previous.rows.filter((row) => row.suite && !suites.includes(row.suite)), ...result.rows].sort((a, b) => rank(a) - rank(b));
  const commits = [...new Set(parts.map((p) => p.commit))];
  return {
    ...result,
    startedAt: parts.map((p) => p.startedAt).sort()[0] ?? result.startedAt,
    commit: commits.join(' + '),
    uncommitted: [...new Set(parts.flatMap((p) => p.uncommitted ?? []))],
    rows,
    failures: [...previous.failures.filter((failure) => !suites.includes(failure.scenario)), ...result.failures],
    parts,
  };
}

export function environment() {
  let commit = 'unknown';
  let uncommitted: string[] = [];
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    uncommitted = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', 'apps', 'libs', 'tools', 'bench/src'], { encoding: 'utf8' })
      .split('\n')
      .map((line) => line.slice(3).trim())
      .filter(Boolean);
  } catch {
    // Not a checkout (e.g. a Docker image): the commit stays unknown.
  }
  return {
    commit,
    uncommitted,
    node: process.version,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${release()}` },
  };
}

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

export function toMarkdown(result: BenchResult): string {
  const lines = [
    `Measured ${result.finishedAt.slice(0, 10)} on ${result.machine.cpus} × ${result.machine.cpuModel}, Node ${result.node}, commit ${result.commit}, ${result.mode} mode; ` +
      `load average ${result.loadAverage.atStart.join(' / ')} at start, ${result.loadAverage.atEnd.join(' / ')} at end (1 / 5 / 15 min).` +
      (result.uncommitted && result.uncommitted.length > 0 ? ` Uncommitted changes in the working tree the services were built from: ${result.uncommitted.join(', ')}.` : ''),
    ...(result.parts && result.parts.length > 1
      ? result.parts.map(
          (part) =>
            `- ${part.suites.join(', ')}: commit ${part.commit}${part.uncommitted?.length ? ` (+ uncommitted: ${part.uncommitted.join(', ')})` : ''}, ${part.startedAt.slice(11, 16)}-${part.finishedAt.slice(11, 16)} UTC, load average ${part.loadAverage.atStart.join(' / ')} at start, ${part.loadAverage.atEnd.join(' / ')} at end`,
        )
      : []),
    '',
    '| scenario | variant | baseline | ops/s | p50 ms | p99 ms | ratio | details |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const row of result.rows) {
    const ratio = row.ratio === null ? '' : `${fixed(row.ratio, 2)}${row.ratioOf ? ` (${row.ratioOf})` : ''}`;
    const details = Object.entries(row.extra ?? {})
      // A NaN written to JSON comes back as null (a merged older part).
      .map(([key, value]) => `${key} ${typeof value === 'number' ? fixed(value, Math.abs(value) >= 100 ? 0 : 2) : (value ?? 'n/a')}`)
      .join(', ');
    lines.push(`| ${row.scenario} | ${row.variant} | ${row.baseline} | ${fixed(row.throughput, 0)} | ${fixed(row.p50, 3)} | ${fixed(row.p99, 3)} | ${ratio} | ${details} |`);
  }
  for (const failure of result.failures) lines.push('', `Failed: ${failure.scenario}: ${failure.error.split('\n')[0] ?? ''}`);
  return `${lines.join('\n')}\n`;
}
