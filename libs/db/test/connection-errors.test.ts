import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { databaseEndpoint, DatabaseUnavailableError, migrate } from '../src/index.js';

/** A port nothing listens on (just released by the OS). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

describe('a database that cannot be reached', () => {
  it('fails the first connection (migrate) naming host:port/db, never the user or password of the URL', async () => {
    const port = await closedPort();
    const url = `postgresql://airlock_owner:s3cr3t-pw@127.0.0.1:${port}/airlock_prod?sslmode=disable&password=other-secret`;
    const error: unknown = await migrate({ databaseUrl: url }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    const { message, code } = error as DatabaseUnavailableError;
    expect(code).toBe('database_unavailable');
    expect(message).toBe(`database unavailable: PostgreSQL at 127.0.0.1:${port}/airlock_prod is not reachable (ECONNREFUSED)`);
    for (const secret of ['s3cr3t-pw', 'other-secret', 'airlock_owner']) expect(message).not.toContain(secret);
  });

  it('names the database of any URL without its credentials', () => {
    expect(databaseEndpoint('postgresql://u:p@db.internal:6543/airlock')).toBe('db.internal:6543/airlock');
    expect(databaseEndpoint('postgres://u:p@db.internal/airlock')).toBe('db.internal:5432/airlock');
    expect(databaseEndpoint('postgresql://u:p@[::1]:5433/my%20db')).toBe('[::1]:5433/my db');
    expect(databaseEndpoint('not a url with password hunter2')).not.toContain('hunter2');
  });
});
