import type { z } from 'zod';
import { ScimFailure } from './scim.errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (value: string): boolean => UUID.test(value);

/** Validates a SCIM body or query; a bad one is 400 `invalidValue` naming the first offending attribute. */
export function parseScim<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new ScimFailure(400, 'invalidValue', `${where}${issue?.message ?? 'invalid value'}`);
}

/** For `.catch()` on a write: a unique violation is 409 `uniqueness` (userName, externalId or displayName taken). */
export function uniqueViolation(what: 'User' | 'Group') {
  return (error: unknown): never => {
    if (typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '23505') {
      const attribute = what === 'User' ? 'userName or externalId' : 'displayName';
      throw new ScimFailure(409, 'uniqueness', `another ${what} of this tenant has this ${attribute}`);
    }
    throw error;
  };
}
