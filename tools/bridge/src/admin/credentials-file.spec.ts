import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CredentialsFile, defaultCredentialsPath } from './credentials-file.js';
import type { StoredSignIn } from './credentials-file.js';

const signIn: StoredSignIn = {
  tokenEndpoint: 'https://auth.example.com/t/admin/token',
  revocationEndpoint: 'https://auth.example.com/t/admin/token/revocation',
  clientId: 'airlock-cli',
  resource: 'https://auth.example.com/admin/v1',
  accessToken: 'at',
  accessTokenExpiresAt: 1,
  refreshToken: 'rt',
};

describe('CredentialsFile', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('is under XDG_CONFIG_HOME, else ~/.config', () => {
    expect(defaultCredentialsPath({ XDG_CONFIG_HOME: '/x', HOME: '/h' })).toBe('/x/airlock/credentials.json');
    expect(defaultCredentialsPath({ HOME: '/h' })).toBe('/h/.config/airlock/credentials.json');
  });

  it('keeps one entry per auth server, 0600 in a 0700 directory whatever the umask; delete removes only that one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-credentials-'));
    dirs.push(dir);
    const file = new CredentialsFile(join(dir, 'airlock', 'credentials.json'));
    const umask = process.umask(0o000);
    try {
      file.set('https://a.example.com', signIn);
      file.set('https://b.example.com', { ...signIn, accessToken: 'other' });
    } finally {
      process.umask(umask);
    }
    expect(statSync(file.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'airlock')).mode & 0o777).toBe(0o700);
    expect(file.get('https://b.example.com')?.accessToken).toBe('other');
    expect(file.delete('https://a.example.com')).toBe(true);
    expect(file.delete('https://a.example.com')).toBe(false);
    expect(Object.keys(JSON.parse(readFileSync(file.path, 'utf8')) as object)).toEqual(['https://b.example.com']);
  });

  it('reads a damaged file as signed out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'airlock-credentials-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'credentials.json'), '{not json');
    expect(new CredentialsFile(join(dir, 'credentials.json')).get('https://a.example.com')).toBeUndefined();
  });
});
