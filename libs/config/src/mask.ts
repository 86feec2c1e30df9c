const SECRET_KEY = /secret|password|passphrase|token|master_?key|private|credential|authorization|cookie/i;

/** Env-style keys whose values must never appear in logs. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/** Masks URL passwords and secret-named fields, recursively, for printing a config at boot. */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    if (isSecretKey(key)) return '********';
    if (URL.canParse(value)) {
      const url = new URL(value);
      if (url.password) {
        url.password = '********';
        return url.toString();
      }
    }
    return value;
  }
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, key));
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  }
  return value;
}
