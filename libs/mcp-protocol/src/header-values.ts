// `Mcp-Name` and `Mcp-Param-*` values: plain visible ASCII, or `=?base64?<UTF-8 as base64>?=` when the value
// is not header-safe (2026-07-28 Streamable HTTP, "Value Encoding"). Web-standard APIs only (no Buffer).

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;
const PLAIN_SAFE = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/;

function toBase64(text: string): string {
  let binary = '';
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The header value a client sends for `value`. */
export function encodeHeaderValue(value: string): string {
  const looksEncoded = value.startsWith('=?base64?') && value.endsWith('?=');
  if (PLAIN_SAFE.test(value) && !looksEncoded) return value;
  return `=?base64?${toBase64(value)}?=`;
}

/** The value a received header stands for, or undefined when it is malformed (invalid characters, base64 or UTF-8). */
export function decodeHeaderValue(header: string): string | undefined {
  if (!/^[\t\x20-\x7e]*$/.test(header)) return undefined;
  if (!header.startsWith('=?base64?')) return header;
  const payload = SENTINEL.exec(header)?.[1];
  if (payload === undefined || payload.length % 4 !== 0) return undefined;
  try {
    const bytes = Uint8Array.from(atob(payload), (char) => char.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
