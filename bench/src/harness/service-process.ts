import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request } from 'undici';
import { sampleProcess, type ProcessSample } from './proc-stat.js';

/** A service (`node apps/<app>/dist/main.js` or a bench entry) running in its own process. */
export interface ServiceProcess {
  name: string;
  pid: number;
  url: string;
  sample(): Promise<ProcessSample>;
  /** The last lines it wrote, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface StartServiceOptions {
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
  /** Where GET /readyz answers. */
  url: string;
  /** The port speaks h2c only (prior knowledge). */
  h2c?: boolean;
  readyTimeoutMs?: number;
}

const OUTPUT_LIMIT = 8_000;

export async function startServiceProcess(options: StartServiceOptions): Promise<ServiceProcess> {
  const child: ChildProcess = spawn(process.execPath, [options.entry], { env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = once(child, 'exit');
  // undici 8's connector reads a top-level `useH2c` (untyped; `h2Options.useH2c` alone still speaks HTTP/1.1).
  const dispatcher = new Agent(options.h2c ? ({ allowH2: true, useH2c: true } as Agent.Options) : {});
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${options.name} exited with ${child.exitCode} before it was ready:\n${output}`);
      const status = await request(`${options.url}/readyz`, { dispatcher })
        .then(async (response) => {
          await response.body.dump();
          return response.statusCode;
        })
        .catch(() => 0);
      if (status === 200) break;
      if (Date.now() > deadline) throw new Error(`${options.name} was not ready at ${options.url}/readyz in time:\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    await dispatcher.close();
  }
  const pid = child.pid!;
  return {
    name: options.name,
    pid,
    url: options.url,
    sample: () => sampleProcess(pid),
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      // Long enough for a graceful drain (the gateway waits up to 10 s for open streams, then for in-flight
      // calls), so profiles written at exit (--cpu-prof) are complete.
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
