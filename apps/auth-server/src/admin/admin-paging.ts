import { AdminError } from './admin.errors.js';

// Keyset paging for every admin list. The cursor is the sort key of the last item handed out (a unique
// value, or a key joined with a unique tie-breaker), base64url-encoded: the next page starts strictly
// after it, so rows inserted or deleted between two pages never make an item repeat or be skipped.

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const encodeCursor = (value: string) => Buffer.from(value, 'utf8').toString('base64url');

/** A cursor this API did not hand out (not canonical base64url of UTF-8 text without NUL) is the client's error, not a 500. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  const value = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : undefined;
  if (value === undefined || value.includes('\u0000') || value.includes('\ufffd') || encodeCursor(value) !== cursor) {
    throw new AdminError('invalid_request', 'cursor: not a cursor this API returned');
  }
  return value;
}

/** Rows fetched with `LIMIT limit + 1`: the extra row only says whether there is a next page. */
export function page<T>(rows: T[], limit: number, key: (row: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(key(last)) : null };
}

/** A `(timestamp, id)` keyset cursor: the time as ISO text, a space, the id. */
export const timeIdKey = (at: Date, id: string) => `${at.toISOString()} ${id}`;

export function decodeTimeIdCursor(cursor: string | undefined): { at: string; id: string } | undefined {
  const value = decodeCursor(cursor);
  if (value === undefined) return undefined;
  const [at, id] = value.split(' ');
  if (!at || !id || Number.isNaN(Date.parse(at))) throw new AdminError('invalid_request', 'cursor: not a cursor this API returned');
  return { at, id };
}
