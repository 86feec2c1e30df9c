import { randomBytes } from 'node:crypto';

/** 256 random bits, base64url: 43 visible ASCII characters, valid as an MCP session id and in URLs. */
export function generateSessionId(): string {
  return randomBytes(32).toString('base64url');
}
