// Binds a state handle to the request that minted it: a retry must be the same method on the same target
// with the same arguments; only the MRTR fields and `_meta` may differ between rounds.

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 (base64url) over the method and the params that define the request. */
export async function requestDigest(method: string, params: Record<string, unknown> | undefined): Promise<string> {
  const { _meta: _ignoredMeta, inputResponses: _ignoredResponses, requestState: _ignoredState, ...defining } = params ?? {};
  const bytes = new TextEncoder().encode(`${method}\n${canonical(defining)}`);
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  let binary = '';
  for (const byte of hash) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
