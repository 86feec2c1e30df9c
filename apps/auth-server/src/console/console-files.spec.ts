import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readConsoleFile } from './console-files.js';

const root = mkdtempSync(join(tmpdir(), 'console-files-'));
const dist = join(root, 'dist');
mkdirSync(join(dist, 'assets'), { recursive: true });
writeFileSync(join(dist, 'index.html'), '<!doctype html>');
writeFileSync(join(dist, 'assets', 'index-abc.js'), 'export {}');
writeFileSync(join(dist, '.env'), 'SECRET=1');
writeFileSync(join(root, 'outside.html'), 'outside');

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('readConsoleFile', () => {
  it('reads built files with their type; hashed assets are immutable, index.html is not', async () => {
    expect(await readConsoleFile(dist, 'index.html')).toMatchObject({ type: 'text/html; charset=utf-8', immutable: false });
    const asset = await readConsoleFile(dist, 'assets/index-abc.js');
    expect(asset).toMatchObject({ type: 'text/javascript; charset=utf-8', immutable: true });
    expect(asset!.body.toString()).toBe('export {}');
  });

  it('reads nothing outside the directory, no dot file, no unknown type, nothing missing', async () => {
    for (const path of ['../outside.html', 'assets/../../outside.html', '.env', 'assets/%2e%2e/x.js', 'index', 'missing.js', '/etc/passwd']) {
      expect(await readConsoleFile(dist, path), path).toBeUndefined();
    }
  });
});
