import { HttpException } from '@nestjs/common';
import type { z } from 'zod';
import { adminErrorStatus, type AdminErrorCode } from '@airlock/contracts';

// The codes and their statuses are the contract's (the OpenAPI document lists them from there).
export type { AdminErrorCode };

/** An admin API refusal: `{ error, error_description }` with the matching status. */
export class AdminError extends HttpException {
  constructor(code: AdminErrorCode, description: string) {
    super({ error: code, error_description: description }, adminErrorStatus[code]);
  }
}

export const notFound = (what: string) => new AdminError('not_found', `no such ${what}`);

/** The tenant named in the path does not exist (or is not managed): also tells the audit interceptor to record on the platform tenant. */
export class TenantNotFoundError extends AdminError {
  constructor() {
    super('not_found', 'no such tenant');
  }
}
export const tenantNotFound = () => new TenantNotFoundError();

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
