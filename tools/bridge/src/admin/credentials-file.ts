import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

// Where `airlock admin login` keeps a person's sign-in. Every `airlock admin ...` is its own process, so
// the tokens must outlive the one that signed in: a file readable by its owner only (0600 in a 0700
// directory), one entry per auth server, written atomically (temp file + rename). It holds the refresh
// token, which is as good as a sign-in until it is revoked (`airlock admin logout`).

export interface StoredSignIn {
  /** The admin tenant's endpoints, as its discovery document named them at sign-in. */
  tokenEndpoint: string;
  revocationEndpoint: string;
  clientId: string;
  /** The admin API audience the tokens are for (RFC 8707 resource). */
  resource: string;
  accessToken: string;
  /** Epoch milliseconds. */
  accessTokenExpiresAt: number;
  refreshToken?: string;
}

type FileShape = Record<string, StoredSignIn>;

/** `$XDG_CONFIG_HOME/airlock/credentials.json`, else `~/.config/airlock/credentials.json`. */
export function defaultCredentialsPath(env: NodeJS.ProcessEnv): string {
  const configHome = env['XDG_CONFIG_HOME'] || join(env['HOME'] || homedir(), '.config');
  return join(configHome, 'airlock', 'credentials.json');
}

export class CredentialsFile {
  constructor(readonly path: string) {}

  private read(): FileShape {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return {};
    }
    try {
      return JSON.parse(text) as FileShape;
    } catch {
      // A damaged file is a signed-out state, not a crash; the next login rewrites it.
      return {};
    }
  }

  get(authUrl: string): StoredSignIn | undefined {
    return this.read()[authUrl];
  }

  set(authUrl: string, signIn: StoredSignIn): void {
    this.write({ ...this.read(), [authUrl]: signIn });
  }

  /** True when there was an entry. */
  delete(authUrl: string): boolean {
    const all = this.read();
    if (!(authUrl in all)) return false;
    delete all[authUrl];
    this.write(all);
    return true;
  }

  private write(all: FileShape): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, `${JSON.stringify(all, null, 2)}\n`, { mode: 0o600 });
      // The mode of writeFileSync is masked by the umask; the file must be 0600 whatever it is.
      chmodSync(temp, 0o600);
      renameSync(temp, this.path);
    } finally {
      rmSync(temp, { force: true });
    }
  }
}
