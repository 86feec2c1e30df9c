import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/launched-platform.js';

// `npm start` on a Node.js older than the dependencies need must say so in one line, not die inside
// undici with a stack trace. The machine's /usr/bin/node is such a Node on the CI image (20.x).

const OLD_NODE = process.env['AIRLOCK_TEST_OLD_NODE'] ?? '/usr/bin/node';
const oldNodeVersion = existsSync(OLD_NODE) ? spawnSync(OLD_NODE, ['--version'], { encoding: 'utf8' }).stdout.trim() : '';
const isOld = /^v(1\d|2[01])\.|^v22\.(1[0-8]|\d)\./.test(oldNodeVersion);

describe.runIf(isOld)(`the launcher on Node ${oldNodeVersion}`, () => {
  it('exits non-zero with one line naming the version needed and how to get it, without a stack trace', () => {
    const result = spawnSync(OLD_NODE, ['tools/launcher/dist/main.js'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`Node.js 22.19.0 or later (this is ${oldNodeVersion})`);
    expect(lines[0]).toContain('nvm install 24');
    expect(result.stderr).not.toMatch(/\n\s+at |TypeError/);
  });
});
