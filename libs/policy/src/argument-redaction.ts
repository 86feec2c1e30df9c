// Tool-call arguments in audit records (a tenant opts in): values under keys that match the tenant's
// patterns are replaced, at any depth, before the record leaves the gateway.

/** Keys redacted when a tenant records arguments and names no patterns of its own. */
export const DEFAULT_REDACTED_KEYS: readonly string[] = [
  '*password*',
  '*passwd*',
  '*passphrase*',
  '*secret*',
  '*token*',
  // apiKey, api_key, privateKey, accessKey, key, keys (and, erring on the safe side, monkey)
  '*key',
  '*keys',
  '*api_key*',
  '*apikey*',
  '*private_key*',
  '*authorization*',
  '*cookie*',
  '*credential*',
];

export const REDACTED = '[redacted]';
/** Recorded arguments longer than this (as JSON) are cut: an audit row is not a payload store. */
const MAX_RECORDED_CHARS = 8_192;

/** `*` matches any run of characters; everything else literally, case-insensitively. */
export function keyMatcher(patterns: readonly string[]): (key: string) => boolean {
  if (patterns.length === 0) return () => false;
  const escaped = patterns.map((pattern) => pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '.*'));
  const regex = new RegExp(`^(?:${escaped.join('|')})$`, 'i');
  return (key) => regex.test(key);
}

function redact(value: unknown, matches: (key: string) => boolean, depth: number): unknown {
  if (depth > 32) return REDACTED;
  if (Array.isArray(value)) return value.map((item) => redact(item, matches, depth + 1));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out[key] = matches(key) ? REDACTED : redact(inner, matches, depth + 1);
  return out;
}

/** The arguments as an audit record keeps them: redacted by key, and cut (`{ truncated: true }`) past 8 KiB. */
export function redactArguments(args: unknown, patterns: readonly string[]): unknown {
  const redacted = redact(args ?? {}, keyMatcher(patterns), 0);
  const json = JSON.stringify(redacted);
  return json.length > MAX_RECORDED_CHARS ? { truncated: true, prefix: json.slice(0, MAX_RECORDED_CHARS) } : redacted;
}
