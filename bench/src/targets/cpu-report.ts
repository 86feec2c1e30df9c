// Child processes of the benchmark answer IPC messages with their CPU time and memory, so the harness
// can attribute CPU per call and memory per session to the right process.

export interface CpuReport {
  type: 'report';
  cpuMicros: number;
  rssBytes: number;
  sessions: number;
}

export function serveCpuReports(options: { port: number; sessions: () => number }): void {
  process.send?.({ type: 'ready', port: options.port });
  process.on('message', (message: { type?: string }) => {
    if (message?.type !== 'report') return;
    const usage = process.cpuUsage();
    const report: CpuReport = { type: 'report', cpuMicros: usage.user + usage.system, rssBytes: process.memoryUsage().rss, sessions: options.sessions() };
    process.send?.(report);
  });
}
