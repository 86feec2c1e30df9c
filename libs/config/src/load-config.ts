import type { z } from 'zod';

export interface ConfigIssue {
  key: string;
  message: string;
}

/** A configuration that failed validation. The message names every bad key and never echoes a value. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  ${i.key}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/**
 * Parses the environment once, at boot. Empty strings count as unset, so `FOO=` in a compose file means
 * "use the default" rather than "invalid".
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: Env = process.env): z.output<S> {
  const cleaned: Env = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && value !== '') cleaned[key] = value;
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const byKey = new Map<string, string>();
  for (const issue of result.error.issues) {
    const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '(config)';
    if (!byKey.has(key)) byKey.set(key, issue.message);
  }
  throw new ConfigError([...byKey].map(([key, message]) => ({ key, message })).sort((a, b) => a.key.localeCompare(b.key)));
}
