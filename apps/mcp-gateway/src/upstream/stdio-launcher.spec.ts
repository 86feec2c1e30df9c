import { describe, expect, it } from 'vitest';
import { StdioLauncher } from './stdio-launcher.js';

const settings = { sandbox: { binary: 'bwrap', dataDir: '/nonexistent/airlock-data' }, inheritedEnv: {} };

describe('stdio launcher', () => {
  it('backs off only after repeated crashes of the same server', () => {
    const launcher = new StdioLauncher(undefined, settings);
    launcher.crashed('a');
    launcher.crashed('a');
    expect(launcher.backoffMs('a')).toBe(0);
    launcher.crashed('a');
    expect(launcher.backoffMs('a')).toBeGreaterThan(0);
    expect(launcher.backoffMs('b')).toBe(0);
  });

  it('runs the command under prlimit when limits are configured', () => {
    const limited = new StdioLauncher({ memoryBytes: 1024 ** 3, openFiles: 256, cpuSeconds: 60 }, settings).command('node', ['server.js']);
    expect(limited.args.slice(-2)).toEqual(['node', 'server.js']);
    if (limited.command.endsWith('prlimit')) expect(limited.args).toEqual(expect.arrayContaining(['--nofile=256', '--']));
    expect(new StdioLauncher(undefined, settings).command('node', ['server.js'])).toEqual({ command: 'node', args: ['server.js'] });
  });
});
