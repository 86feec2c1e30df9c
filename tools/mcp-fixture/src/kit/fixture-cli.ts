// What both fixtures' `main` share: the transport options, usage errors, serving until a signal.
// Status lines go to stderr: over stdio, stdout belongs to the protocol.

/** parseArgs options every fixture takes (`--stdio` or `--http --port N [--host H]`, `--name X`). */
export const fixtureCliOptions = {
  stdio: { type: 'boolean', default: false },
  http: { type: 'boolean', default: false },
  port: { type: 'string', default: '0' },
  host: { type: 'string', default: '127.0.0.1' },
  name: { type: 'string' },
} as const;

export function exitWithUsage(usage: string): never {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}

/** Prints where the fixture listens and closes it on SIGTERM/SIGINT (exit 0). */
export function serveUntilSignal(program: string, handle: { url: string; close(): Promise<void> }): void {
  process.stderr.write(`${program} listening on ${handle.url}\n`);
  const stop = () => void handle.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Runs a fixture's main; a failure is one line on stderr and exit 1, not a stack trace. */
export function runFixtureMain(program: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${program}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
