import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const NEXT_MAIN = fileURLToPath(new URL('../../../../tools/mcp-fixture-next/dist/main.js', import.meta.url));

export interface NextFixture {
  url: string;
  stop(): Promise<void>;
}

/** The 2026-07-28 fixture as its own process (a tool: spawned, not imported). */
export async function startNextFixture(args: string[] = ['--modern-only']): Promise<NextFixture> {
  const child: ChildProcess = spawn(process.execPath, [NEXT_MAIN, '--http', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      const match = /listening on (\S+)/.exec(err);
      if (match) resolve(match[1]!);
    });
    child.once('exit', () => reject(new Error(`mcp-fixture-next exited: ${err}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
