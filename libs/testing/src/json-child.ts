import { spawn } from 'node:child_process';

/**
 * Runs `node <args>` and parses what it prints on stdout as one JSON value (the conformance runners print
 * their summary that way); a child that prints none fails with the start of its stderr.
 */
export function runNodeForJson<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', () => {
      try {
        resolve(JSON.parse(out) as T);
      } catch {
        reject(new Error(`conformance runner printed no summary: ${err.slice(0, 2000)}`));
      }
    });
  });
}
