import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StdioSandbox, StdioSandboxError } from './stdio-sandbox.js';

describe('stdio sandbox command line', () => {
  const root = mkdtempSync(join(tmpdir(), 'airlock-sandbox-spec-'));
  const dataDir = join(root, 'data');
  const sandbox = new StdioSandbox({ binary: process.execPath, dataDir, path: process.env['PATH'] });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('isolates users, processes and the session, and passes no variable the server was not given', () => {
    const { command, args } = sandbox.wrap({ command: process.execPath, args: ['server.js'], env: { PATH: '/usr/bin', HOME: '/home/airlock' }, readOnlyPaths: [] });
    expect(command).toBe(process.execPath);
    for (const flag of ['--unshare-user', '--unshare-pid', '--die-with-parent', '--new-session', '--share-net']) expect(args).toContain(flag);
    expect(args.join(' ')).toContain('--proc /proc');
    expect(args.join(' ')).toContain('--unsetenv USER');
    expect(args.join(' ')).not.toContain('--unsetenv HOME');
    expect(args.slice(-3)).toEqual(['--', process.execPath, 'server.js']);
  });

  it('refuses a read-only path that is, holds or lies inside the data directory', () => {
    for (const path of [dataDir, root, join(dataDir, 'pg'), '/']) {
      expect(() => sandbox.wrap({ command: process.execPath, args: [], env: {}, readOnlyPaths: [path] }), path).toThrow(StdioSandboxError);
    }
  });

  it('fails closed when the binary or the command cannot be found', () => {
    const missing = new StdioSandbox({ binary: join(root, 'no-bwrap'), dataDir, path: undefined });
    expect(() => missing.wrap({ command: process.execPath, args: [], env: {}, readOnlyPaths: [] })).toThrow(expect.objectContaining({ code: 'sandbox_binary_missing' }));
    expect(() => sandbox.wrap({ command: 'no-such-command-here', args: [], env: { PATH: root }, readOnlyPaths: [] })).toThrow(expect.objectContaining({ code: 'command_missing' }));
  });
});
