import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError } from './admin-errors.js';
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

const LOCK_POLL_MS = 50;
const STALE_LOCK_MS = 30_000;

function lockTime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

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

  /**
   * Runs `change` while no other `airlock` process does (a lock file beside the credentials): the refresh
   * token is rotated on use, so two runs refreshing at once would present the same one twice, and the
   * auth server takes a reused refresh token as stolen and ends the sign-in.
   */
  async exclusively<T>(change: () => Promise<T>): Promise<T> {
    const lock = `${this.path}.lock`;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    for (let waited = 0; ; waited += LOCK_POLL_MS) {
      try {
        closeSync(openSync(lock, 'wx', 0o600));
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        // A run that died holding it does not block the next ones for long.
        if (Date.now() - lockTime(lock) > STALE_LOCK_MS) rmSync(lock, { force: true });
        else if (waited > STALE_LOCK_MS) throw new ApiError('busy', `${lock} is held by another airlock run`);
        await sleep(LOCK_POLL_MS);
      }
    }
    try {
      return await change();
    } finally {
      rmSync(lock, { force: true });
    }
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
