import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aggregatedMcpUrl } from '@airlock/contracts';
import { freePort } from '@airlock/testing';
import { startAuthServerHarness, type AuthServerHarness } from './support/auth-server-harness.js';
import { CookieJar, OAuthFlow } from './support/oauth-flow.js';

// The MCP conformance suite's authorization-server scenarios (0.2 alpha line, installed as the
// `conformance-next` alias) against a tenant issuer. The suite prints an authorization URL and waits for
// its callback; this test plays the user: signs in and consents through the real forms, then delivers
// the redirect to the suite's callback server.

const CLI = fileURLToPath(new URL('../../../node_modules/conformance-next/dist/index.js', import.meta.url));
const USER = { email: 'conformance@example.com', password: 'conformance password' };

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

let server: AuthServerHarness;
let outputDir: string;

async function collectChecks(dir: string): Promise<Check[]> {
  const checks: Check[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name === 'checks.json') {
      checks.push(...(JSON.parse(await readFile(join(entry.parentPath, entry.name), 'utf8')) as Check[]));
    }
  }
  return checks;
}

beforeAll(async () => {
  server = await startAuthServerHarness();
  await server.createUser('demo', USER.email, USER.password);
  outputDir = await mkdtemp(join(tmpdir(), 'airlock-conformance-auth-'));
});
afterAll(async () => {
  await server?.close();
  if (outputDir) await rm(outputDir, { recursive: true, force: true });
});

describe('conformance authorization (MCP conformance 0.2 alpha)', () => {
  it('passes the metadata and authorization-code scenarios against a tenant issuer', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const flow = new OAuthFlow(server.url, 'demo', USER);
    const client = await flow.register({ client_name: 'MCP conformance suite', redirect_uris: [`http://127.0.0.1:${port}/callback`] });
    const resource = aggregatedMcpUrl(server.config.gatewayPublicUrl, 'demo');

    const child = spawn(
      process.execPath,
      [CLI, 'authorization', '--url', flow.issuer, '--client-id', client.clientId, '--resource', resource, '--port', String(port), '--output-dir', outputDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    // The suite sends no `scope` (the MCP spec allows that): the tenant's default scopes apply.
    const authorizationUrl = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /^(https?:\/\/\S+\/auth\?\S+)$/m.exec(stdout);
        if (match) resolve(match[1]!);
      });
      void exited.then((code) => reject(new Error(`the suite exited (${code}) before asking for authorization:\n${stdout}\n${stderr}`)));
    });
    expect(new URL(authorizationUrl).searchParams.get('scope')).toBeNull();

    const callback = await flow.follow(new CookieJar(), authorizationUrl);
    expect(callback.origin).toBe(`http://127.0.0.1:${port}`);
    expect((await fetch(callback)).ok).toBe(true);

    const code = await exited;
    const checks = await collectChecks(outputDir);
    const failures = checks.filter((check) => check.status === 'FAILURE');
    expect(failures, `${stdout}\n${stderr}`).toEqual([]);
    expect(checks.map((check) => check.id)).toEqual(expect.arrayContaining(['authorization-server-metadata', 'authorization-server-metadata-cimd', 'authorization-code-grant']));
    expect(checks.filter((check) => check.status !== 'SUCCESS'), JSON.stringify(checks)).toEqual([]);
    expect(code, `${stdout}\n${stderr}`).toBe(0);
  });
});
