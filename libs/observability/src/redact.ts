// Deep, key-based redaction for log objects. pino's path-based `redact` needs every path spelled out;
// secrets turn up at any depth (an OAuth error's `params`, a client's metadata, a request body), so log
// objects are walked instead. Only plain objects and arrays are copied; class instances (errors, streams,
// requests) are left to their serializers, whose output is redacted separately.

export const REDACTED = '[redacted]';

const SECRET_KEY =
  /^(?:authorization|proxy-authorization|cookie|set-cookie|x-api-key)$|password|passwd|passphrase|secret|token|code_verifier|private_?key|credential/i;

// Names that contain "token" but carry no secret; logging them is useful.
const SAFE_KEYS = new Set([
  'token_type',
  'tokenType',
  'token_type_hint',
  'token_endpoint',
  'token_endpoint_auth_method',
  'tokenEndpointAuthMethod',
  'token_endpoint_auth_signing_alg',
]);

const MAX_DEPTH = 12;

// `scheme://user:password@host`: connection strings end up in error messages (pg, ioredis).
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi;

/** Masks the password part of every URL in a string. */
export function redactUrlCredentials(text: string): string {
  return text.includes('://') ? text.replace(URL_CREDENTIALS, `$1${REDACTED}@`) : text;
}

/** True when a field with this name must never reach a log line. */
export function isSensitiveKey(key: string): boolean {
  return !SAFE_KEYS.has(key) && SECRET_KEY.test(key);
}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Returns `value` with every sensitive field replaced by `[redacted]`, and passwords in URLs masked, at
 * any depth. The input is never
 * mutated; untouched branches are returned as they are.
 */
export function redactDeep<T>(value: T): T {
  return walk(value, 0, new Set()) as T;
}

// `ancestors` holds the objects on the current path: a cycle becomes a marker instead of an unredacted
// reference back to the original.
function walk(value: unknown, depth: number, ancestors: Set<object>): unknown {
  if (typeof value === 'string') return redactUrlCredentials(value);
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Too deep]';
  if (Array.isArray(value)) {
    ancestors.add(value);
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = walk(value[i], depth + 1, ancestors);
      if (next !== value[i]) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    ancestors.delete(value);
    return copy ?? value;
  }
  if (!isPlain(value)) return value;
  ancestors.add(value);
  const record = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const current = record[key];
    const next = isSensitiveKey(key) && current !== undefined && current !== null ? REDACTED : walk(current, depth + 1, ancestors);
    if (next !== current) {
      copy ??= { ...record };
      copy[key] = next;
    }
  }
  ancestors.delete(value);
  return copy ?? value;
}
