import { accessSync, constants, existsSync, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { basename, delimiter, dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { DEFAULT_INHERITED_ENV_VARS } from '@modelcontextprotocol/sdk/client/stdio.js';

// Why bubblewrap (`bwrap`): a stdio server is third-party code run by the gateway, and without a sandbox it
// runs as the gateway's user in its working directory, able to read the master key in the data directory
// and the gateway's own environment through /proc. bubblewrap is small and well kept (it is what Flatpak
// runs every app in), is packaged by Debian, and builds its sandbox from unprivileged user namespaces: no
// setuid helper, no daemon, nothing that runs as root on the gateway's behalf.
//
// What the sandbox isolates: its own user namespace (an unprivileged uid inside, no capabilities, no
// nested namespaces), its own PID, IPC and UTS namespaces with a fresh /proc (the gateway's processes are
// not visible), a private tmpfs as HOME and working directory, and a filesystem of read-only system
// paths, the command's own directory and the paths the operator lists. The network is shared: servers
// call APIs (so the gateway's loopback services are reachable too).

/** HOME and working directory inside the sandbox: an empty tmpfs per process. */
export const SANDBOX_HOME = '/home/airlock';
const SANDBOX_UID = '1000';
/** Size cap of each tmpfs (HOME, /tmp): what a server can park in memory there. */
const TMPFS_BYTES = String(256 * 1024 * 1024);
/** Top-level system paths: bound read-only, or re-created as the same symlink (merged /usr). */
const SYSTEM_PATHS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** The pieces of /etc that name resolution, TLS, the dynamic linker and time zones need; nothing else. */
const ETC_PATHS = [
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
  '/etc/alternatives',
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/nsswitch.conf',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/localtime',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
];
/** Variables whose value is a file or directory the server's TLS stack reads: bound read-only with them. */
const FILE_VARIABLES = ['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'];

export type StdioSandboxErrorCode = 'sandbox_binary_missing' | 'command_missing' | 'path_refused';

/** A stdio server that cannot be started in its sandbox (the start fails closed). */
export class StdioSandboxError extends Error {
  constructor(
    readonly code: StdioSandboxErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StdioSandboxError';
  }
}

export interface SandboxSettings {
  /** The bubblewrap binary: a path, or a name looked up on PATH. */
  binary: string;
  /** The gateway's data directory (master key, embedded database): never bound, nor anything holding it. */
  dataDir: string;
  /** The gateway's PATH, where a bare binary name is looked up. */
  path: string | undefined;
}

export interface SandboxRequest {
  command: string;
  args: string[];
  /** The server's whole environment: passed to bwrap's process, which hands it on (never on a command line). */
  env: Record<string, string>;
  readOnlyPaths: string[];
}

/** Finds `command` as a shell would: a path as is, a bare name on PATH. */
export function resolveExecutable(command: string, path: string | undefined): string | undefined {
  const executable = (candidate: string) => {
    try {
      accessSync(candidate, constants.X_OK);
      return statSync(candidate).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) return executable(resolve(command)) ? resolve(command) : undefined;
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir && isAbsolute(dir) && executable(join(dir, command))) return join(dir, command);
  }
  return undefined;
}

const within = (path: string, root: string) => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
const realOrSelf = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
};

/** An npm package's root when `file` lies inside one (`…/node_modules/[@scope/]name/…`), so its own files come along. */
function packageRootOf(file: string): string | undefined {
  const parts = file.split(sep);
  const index = parts.lastIndexOf('node_modules');
  if (index < 0 || index + 1 >= parts.length - 1) return undefined;
  const end = parts[index + 1]!.startsWith('@') ? index + 3 : index + 2;
  return end < parts.length ? parts.slice(0, end).join(sep) : undefined;
}

/**
 * Builds the bwrap command line that runs one stdio server sandboxed. Checks what can be checked before
 * spawning (the binary exists, the command exists, nothing bound exposes the data directory) and throws
 * `StdioSandboxError` otherwise; what only the kernel can say (user namespaces disabled) bwrap reports
 * on stderr when it exits.
 */
export class StdioSandbox {
  private readonly dataDir: string;

  constructor(private readonly settings: SandboxSettings) {
    this.dataDir = realOrSelf(settings.dataDir);
  }

  wrap(request: SandboxRequest): { command: string; args: string[] } {
    const binary = resolveExecutable(this.settings.binary, this.settings.path);
    if (!binary) throw new StdioSandboxError('sandbox_binary_missing', `the stdio sandbox binary ${this.settings.binary} (bubblewrap) was not found; install bubblewrap or opt this server out with sandbox: false`);
    const command = resolveExecutable(request.command, request.env['PATH']);
    if (!command) throw new StdioSandboxError('command_missing', `the stdio server's command ${basename(request.command)} was not found`);

    const args = [
      '--unshare-user', '--uid', SANDBOX_UID, '--gid', SANDBOX_UID, '--disable-userns', '--cap-drop', 'ALL',
      '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--share-net',
      '--die-with-parent', '--new-session',
    ];
    for (const path of SYSTEM_PATHS) args.push(...this.systemBind(path));
    for (const path of ETC_PATHS) args.push('--ro-bind-try', path, path);
    args.push('--proc', '/proc', '--dev', '/dev');
    args.push('--size', TMPFS_BYTES, '--tmpfs', '/tmp', '--size', TMPFS_BYTES, '--tmpfs', SANDBOX_HOME);

    const binds = new Set<string>();
    const commandReal = realOrSelf(command);
    // The command's directory (a node or npx on PATH), the gateway's own node (what `#!/usr/bin/env node` finds) and an npm package's files.
    for (const path of [dirname(command), dirname(commandReal), packageRootOf(commandReal), dirname(realOrSelf(process.execPath))]) {
      if (path && !SYSTEM_PATHS.some((system) => within(path, system))) binds.add(path);
    }
    for (const path of request.readOnlyPaths) binds.add(path);
    for (const name of FILE_VARIABLES) {
      const value = request.env[name];
      if (value && isAbsolute(value) && existsSync(value)) binds.add(value);
    }
    for (const path of binds) {
      this.refuseDataDir(path);
      args.push('--ro-bind-try', path, path);
    }

    args.push('--chdir', SANDBOX_HOME);
    // The SDK adds HOME, USER, SHELL… from the gateway to whatever env it is given: what the server was not given goes.
    for (const name of DEFAULT_INHERITED_ENV_VARS) if (request.env[name] === undefined) args.push('--unsetenv', name);
    args.push('--', command, ...request.args);
    return { command: binary, args };
  }

  /** A bound path that is, holds or lies inside the data directory would show the master key: refused. */
  private refuseDataDir(path: string): void {
    const real = realOrSelf(path);
    for (const candidate of new Set([resolve(path), real])) {
      if (within(candidate, this.dataDir) || within(this.dataDir, candidate)) {
        throw new StdioSandboxError('path_refused', `the sandbox path ${path} would expose the gateway's data directory`);
      }
    }
  }

  private systemBind(path: string): string[] {
    try {
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) return ['--symlink', readlinkSync(path), path];
      return stat.isDirectory() ? ['--ro-bind', path, path] : [];
    } catch {
      return [];
    }
  }
}
