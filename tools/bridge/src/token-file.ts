import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OAuthClientInformationMixed, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';

/** What the bridge remembers per MCP server URL. */
export interface ServerCredentials {
  redirectUrl?: string;
  client?: OAuthClientInformationMixed;
  tokens?: OAuthTokens;
  codeVerifier?: string;
}

type FileShape = Record<string, ServerCredentials>;

/**
 * Tokens and client registrations in one JSON file readable by its owner only (0600, in a 0700
 * directory), written atomically (temp file + rename) so a crash never leaves half a file.
 */
export class TokenFile {
  constructor(readonly path: string) {}

  private read(): FileShape {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as FileShape;
    } catch {
      return {};
    }
  }

  get(serverUrl: string): ServerCredentials {
    return this.read()[serverUrl] ?? {};
  }

  update(serverUrl: string, change: (current: ServerCredentials) => ServerCredentials): void {
    const all = this.read();
    all[serverUrl] = change(all[serverUrl] ?? {});
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.path);
  }
}
