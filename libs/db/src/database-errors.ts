/**
 * PostgreSQL cannot be reached (closed port, unknown host, refused login, timeout). The message names the
 * database as `host:port/dbname`, never the user or password of its URL, so it is safe for the log and
 * for the one line a failed start prints.
 */
export class DatabaseUnavailableError extends Error {
  readonly code = 'database_unavailable';

  constructor(
    /** `host:port/dbname`. */
    readonly endpoint: string,
    reason: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(`database unavailable: PostgreSQL at ${endpoint} is not reachable${reason ? ` (${reason})` : ''}`, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/** `host:port/dbname` of a `postgresql://` URL (credentials and query left out). */
export function databaseEndpoint(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    const host = url.hostname || 'localhost';
    const database = decodeURIComponent(url.pathname.replace(/^\//, '')) || '(default database)';
    return `${host}:${url.port || '5432'}/${database}`;
  } catch {
    // Not a URL we can read: say nothing of it rather than echo a string that may hold a password.
    return '(unparsable DATABASE_URL)';
  }
}

/**
 * The connection error as a DatabaseUnavailableError. The reason is the error's code (ECONNREFUSED,
 * ENOTFOUND, SQLSTATE 28P01...) rather than its message: a server's message can quote the user name, and
 * pg's can quote the URL it failed to parse.
 */
export function databaseUnavailable(databaseUrl: string, cause: unknown): DatabaseUnavailableError {
  if (cause instanceof DatabaseUnavailableError) return cause;
  const code = typeof cause === 'object' && cause !== null ? (cause as { code?: unknown }).code : undefined;
  const reason = typeof code === 'string' ? (/^[0-9A-Z]{5}$/.test(code) && !code.startsWith('E') ? `SQLSTATE ${code}` : code) : cause instanceof Error && /timeout/i.test(cause.message) ? 'connection timeout' : undefined;
  return new DatabaseUnavailableError(databaseEndpoint(databaseUrl), reason, { cause });
}
