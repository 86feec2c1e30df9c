import { ConfigError } from '@airlock/config';
import { DatabaseUnavailableError } from '@airlock/db';
import type { Logger } from '@airlock/observability';
import { MasterKeyError } from './master-key.js';

/** What `start` gets: where to register what must be closed, and whether a stop was asked for. */
export interface ProcessScope {
  /** Registers a closer; on stop (or a failed start) closers run in reverse order of registration. */
  onStop(name: string, close: () => Promise<void>): void;
  /** True once SIGINT/SIGTERM arrived: a long start checks it between steps and returns early. */
  readonly stopping: boolean;
}

export interface RunProcessOptions {
  logger: Logger;
  start(scope: ProcessScope): Promise<void>;
  /** A stop that takes longer than this exits 1 anyway. Default 20 s. */
  shutdownLimitMs?: number;
}

/**
 * The life of a service process: starts, then on SIGINT/SIGTERM closes what started (in reverse) and
 * exits 0 (a second signal exits 130 at once). A failed start closes what did start and exits 1, with one
 * plain line and no stack for an operator's mistake (bad config, missing master key, port in use).
 */
export async function runProcess({ logger, start, shutdownLimitMs = 20_000 }: RunProcessOptions): Promise<void> {
  const closers: Array<{ name: string; close: () => Promise<void> }> = [];
  let stopping = false;
  const scope: ProcessScope = {
    onStop: (name, close) => void closers.push({ name, close }),
    get stopping() {
      return stopping;
    },
  };
  /** Runs every closer, newest first; true when all of them succeeded. */
  const closeAll = async (): Promise<boolean> => {
    let clean = true;
    for (const { name, close } of closers.splice(0).reverse()) {
      await close().catch((error: unknown) => {
        clean = false;
        logger.error({ err: error, closing: name }, 'error while stopping');
      });
    }
    return clean;
  };

  const startup = start(scope);
  const onSignal = (signal: NodeJS.Signals) => {
    // A second Ctrl-C: the operator wants out now.
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'stopping');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, shutdownLimitMs).unref();
    // A signal during start stops once what is starting has started (or failed).
    void startup
      .catch(() => undefined)
      .then(closeAll)
      .then((clean) => process.exit(clean ? 0 : 1));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await startup;
  } catch (error) {
    if (stopping) await new Promise(() => undefined); // the signal handler owns the exit now
    await closeAll();
    const plain = plainStartupFailure(error);
    if (plain) process.stderr.write(`${plain}\n`);
    else logger.fatal({ err: error }, 'failed to start');
    process.exit(1);
  }
}

/** The one line an operator needs for a start that failed through their own setup, else undefined. */
export function plainStartupFailure(error: unknown): string | undefined {
  if (error instanceof ConfigError || error instanceof MasterKeyError || error instanceof DatabaseUnavailableError) return error.message;
  const failure = error as { code?: unknown; port?: unknown; address?: unknown } | undefined;
  if (failure?.code === 'EADDRINUSE') return `Cannot listen on ${String(failure.address)}:${String(failure.port)}: the port is already in use`;
  return undefined;
}
