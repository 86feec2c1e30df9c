import type { ParseArgsOptionsConfig } from 'node:util';
import type { AdminApiClient } from './admin-api-client.js';
import { UsageError } from './admin-errors.js';

// One `airlock admin <resource> <action>` command: its arguments, its help line, and what it does.

export type OptionValues = Record<string, string | boolean | string[] | undefined>;

export interface CommandContext {
  /** The API client; it reads the credentials and signs in on its first call (so usage errors need neither). */
  api: AdminApiClient;
  json: boolean;
  /** To stdout. */
  print(text: string): void;
  /** One line to stderr, `airlock: <line>` (stdout stays the result alone). */
  note(line: string): void;
}

export interface AdminCommand {
  resource: string;
  /** Empty for a resource that is its own command (`airlock admin routes`). */
  action: string;
  /** After `airlock admin <resource> <action>`: `<tenant> <name> --url <u> ...`. */
  synopsis: string;
  summary: string;
  /** The names of its positional arguments, in order (all required but the last `optionalPositionals`). */
  positionals: readonly string[];
  /** How many trailing positionals may be left out (default none); a left-out one is ''. */
  optionalPositionals?: number;
  options: ParseArgsOptionsConfig;
  /** False: any arguments are taken (a command that only explains why it cannot run). */
  strict?: boolean;
  /** Extra help lines (what each option means). */
  details?: readonly string[];
  run(args: Record<string, string>, values: OptionValues, context: CommandContext): Promise<void>;
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

export function listOption(values: OptionValues, name: string): string[] {
  const value = values[name];
  return Array.isArray(value) ? value : [];
}

/** `--limit` as a number for the schema to judge (`abc` stays a string and is refused by it). */
export function pageQuery(values: OptionValues): Record<string, string | undefined> {
  return { limit: stringOption(values, 'limit'), cursor: stringOption(values, 'cursor') };
}

export const pageOptions: ParseArgsOptionsConfig = { limit: { type: 'string' }, cursor: { type: 'string' } };
export const pageDetails = ['--limit <n>      page size, 1-200 (default 50)', '--cursor <c>     the next page (a table run prints it when there is one)'];

/** Table runs say where the next page is; --json has it as `nextCursor`. */
export function notePage(context: CommandContext, nextCursor: string | null): void {
  if (nextCursor) context.note(`more results: repeat with --cursor ${nextCursor}`);
}

export function requireOne(values: OptionValues, names: readonly string[]): string {
  const given = names.filter((name) => values[name] !== undefined);
  if (given.length !== 1) throw new UsageError(`give exactly one of ${names.map((name) => `--${name}`).join(', ')}`);
  return given[0]!;
}
