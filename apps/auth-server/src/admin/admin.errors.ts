import { HttpException } from '@nestjs/common';
import type { z } from 'zod';

export type AdminErrorCode = 'invalid_request' | 'not_found' | 'conflict' | 'invalid_redirect_uri' | 'invalid_client_metadata';

const STATUS: Record<AdminErrorCode, number> = { invalid_request: 400, not_found: 404, conflict: 409, invalid_redirect_uri: 400, invalid_client_metadata: 400 };

/** An admin API refusal: `{ error, error_description }` with the matching status. */
export class AdminError extends HttpException {
  constructor(code: AdminErrorCode, description: string) {
    super({ error: code, error_description: description }, STATUS[code]);
  }
}

export const notFound = (what: string) => new AdminError('not_found', `no such ${what}`);

/** Parses with a contracts schema; a failure lists every problem with its path. */
export function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const description = result.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
  throw new AdminError('invalid_request', description);
}

/** Postgres unique violation. */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505';
}
