import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgresOptions {
  /** Where the data lives; a second start reuses it. No dataDir means in memory, gone on close. */
  dataDir?: string;
  /** Start from a dump made by `dumpDataDir()` (in memory only); ~10x faster than a fresh initdb. */
  fromDump?: Blob;
}

export interface EmbeddedPostgres {
  /** A `postgresql://` URL any `pg`-based client (and Prisma's pg adapter) can use. */
  url: string;
  /** A tarball of the data directory, for `fromDump`. */
  dumpDataDir(): Promise<Blob>;
  close(): Promise<void>;
}

/**
 * PostgreSQL compiled to WASM (PGlite), served on 127.0.0.1 over the wire protocol by pglite-socket.
 *
 * PGlite has ONE backend session, shared by every socket connection. What that means, measured with
 * pglite-socket 0.2.17 / PGlite 0.5.14:
 * - The server queues protocol messages and runs one at a time; while a connection has a transaction
 *   open, only that connection's messages run, others wait until COMMIT/ROLLBACK. So pools of several
 *   connections are safe for transactions (5,000 concurrent mixed queries over 10 connections, and
 *   errors mid-stream, returned no crossed results), and a dropped connection's open transaction is
 *   rolled back.
 * - Session state is shared: `SET` (non-local), temp tables, named prepared statements, LISTEN and
 *   advisory locks are common to all connections (two connections both "get" one advisory lock).
 *   Airlock's code must use none of them: in particular no named prepared statements (pg prepares a
 *   name once per connection, so a second or recycled connection fails with 42P05 "already exists").
 *   The migration runner re-checks inside each migration's transaction, so two runners on one embedded
 *   server stay correct.
 * - A connection that waits on another connection while holding a transaction deadlocks (it would
 *   merely block on a real server). Keep work inside a transaction on the transaction's connection.
 * Throughput is that of one session whatever the pool size, so pools stay small.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
  const dataDir = options.dataDir ? resolve(options.dataDir) : undefined;
  const releaseLock = dataDir ? lockDataDir(dataDir) : () => undefined;
  let db: PGlite | undefined;
  try {
    db = dataDir ? await PGlite.create(dataDir) : await PGlite.create(options.fromDump ? { loadDataDir: options.fromDump } : {});
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 100 });
    await server.start();
    const pglite = db;
    let closed = false;
    return {
      url: `postgresql://postgres@${server.getServerConn()}/postgres`,
      dumpDataDir: () => pglite.dumpDataDir('none'),
      close: async () => {
        if (closed) return;
        closed = true;
        await server.stop();
        // stop() detaches connections without awaiting their rollback; let those finish first.
        await new Promise((done) => setImmediate(done));
        await pglite.close();
        releaseLock();
      },
    };
  } catch (error) {
    await db?.close().catch(() => undefined);
    releaseLock();
    throw error;
  }
}

/** PGlite does not guard its data directory; two processes on one directory would corrupt it. */
function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockFile = join(dataDir, 'airlock.pid');
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const owner = Number(readFileSync(lockFile, 'utf8').trim());
    if (Number.isInteger(owner) && owner > 0 && (owner === process.pid || isAlive(owner))) {
      throw new Error(`the embedded database in ${dataDir} is in use by process ${owner}`);
    }
    writeFileSync(lockFile, String(process.pid));
  }
  return () => rmSync(lockFile, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
