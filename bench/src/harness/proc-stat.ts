import { readFile } from 'node:fs/promises';

// CPU time and resident memory of another process, read from /proc (Linux), so the services run
// unmodified and the harness still attributes CPU to each of them. Same source as `pidusage`.

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node supports
const PAGE_BYTES = 4096;

export interface ProcessSample {
  /** User + system CPU time since the process started, in microseconds. */
  cpuMicros: number;
  rssBytes: number;
}

export async function sampleProcess(pid: number): Promise<ProcessSample> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: parse after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name, fields start at 3 (state): utime is field 14, stime 15, rss (pages) 24.
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  const rssPages = Number(fields[24 - 3]);
  return { cpuMicros: ((utime + stime) * 1e6) / CLOCK_TICKS_PER_SECOND, rssBytes: rssPages * PAGE_BYTES };
}
