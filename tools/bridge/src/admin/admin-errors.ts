import type { z } from 'zod';

// What the admin CLI refuses, and the exit code each kind gets. Every refusal is printed as one line,
// `airlock: <error>: <description>`, never with a stack trace.

export const ExitCode = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class AdminCliError extends Error {
  abstract readonly exitCode: ExitCode;
  constructor(
    /** An OAuth-style code: the API's own, or `usage` / `invalid_request` / `network_error` for the CLI's. */
    readonly error: string,
    readonly description: string,
  ) {
    super(`${error}: ${description}`);
  }
}

/** The command line is wrong or a body fails its schema: nothing was sent. Exit 2. */
export class UsageError extends AdminCliError {
  readonly exitCode = ExitCode.usage;
  constructor(description: string, error = 'usage') {
    super(error, description);
  }
}

/** The API (or its token endpoint) refused, or could not be reached. Exit 1. */
export class ApiError extends AdminCliError {
  readonly exitCode = ExitCode.failed;
}

/** A zod failure as one line: `slug: must be ...; displayName: too short`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
}

/** Client-side validation against the route table's schema failed. */
export function invalidRequest(what: string, error: z.ZodError): UsageError {
  return new UsageError(`${what}: ${describeIssues(error)}`, 'invalid_request');
}
