import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { CpuReport } from '../targets/cpu-report.js';

/** A benchmark target running in its own process, so CPU and memory are measured per process. */
export interface ChildTarget {
  port: number;
  report(): Promise<CpuReport>;
  /** Sends a message and resolves with the child's next message (one question at a time). */
  ask<T>(message: object): Promise<T>;
  stop(): Promise<void>;
}

export async function startChildTarget(modulePath: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ChildTarget> {
  const child: ChildProcess = fork(modulePath, args, { env, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const [ready] = (await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`${modulePath} exited with ${String(code)} before it was ready`);
    }),
  ])) as [{ type: string; port: number }];
  // A child that dies fails every pending and later question instead of leaving it waiting forever.
  const exited = once(child, 'exit').then(([code, signal]) => {
    throw new Error(`${modulePath} exited (${String(code ?? signal)})`);
  });
  exited.catch(() => undefined);
  const reply = <T>() => Promise.race([once(child, 'message') as Promise<[T]>, exited]).then(([message]) => message);
  return {
    port: ready.port,
    async report() {
      const next = reply<CpuReport>();
      child.send({ type: 'report' });
      return next;
    },
    async ask<T>(message: object) {
      const next = reply<T>();
      child.send(message);
      return next;
    },
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
