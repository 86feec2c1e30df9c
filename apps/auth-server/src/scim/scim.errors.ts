import { ScimSchemas, type ScimError, type ScimErrorType } from '@airlock/contracts';

/** A refusal a SCIM client may see: the HTTP status, RFC 7644's `scimType` where one fits, and a detail. */
export class ScimFailure extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 500 | 501 | 503,
    readonly scimType: ScimErrorType | undefined,
    detail: string,
  ) {
    super(detail);
    this.name = 'ScimFailure';
  }

  body(): ScimError {
    return scimErrorBody(this.status, this.scimType, this.message);
  }
}

export function scimErrorBody(status: number, scimType: ScimErrorType | undefined, detail: string): ScimError {
  return { schemas: [ScimSchemas.error], status: String(status), ...(scimType ? { scimType } : {}), detail };
}

export const scimNotFound = (what: 'User' | 'Group', id: string) => new ScimFailure(404, undefined, `${what} ${id} not found`);
