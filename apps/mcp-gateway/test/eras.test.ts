import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatewayWorld, startTokenProxy } from './support/gateway-harness.js';
import type { GatewayWorld } from './support/gateway-harness.js';

// Protocol revision 2026-07-28 on the gateway's endpoints: the conformance 0.2 alpha line with
// `--requirements 2026-07-28` against the 2026-07-28 fixture directly and through the gateway (an http
// upstream recorded as `protocol_version = 2026-07-28`), and header/era rules the suite does not cover.

const NEXT = new URL('../../../tools/mcp-fixture-next/', import.meta.url);
const baseline = fileURLToPath(new URL('conformance/expected-failures.2026-07-28.yaml', NEXT));
const NEXT_MAIN = fileURLToPath(new URL('dist/main.js', NEXT));
const NEXT_RUNNER = pathToFileURL(fileURLToPath(new URL('dist/conformance-runner.js', NEXT))).href;

interface RequirementsSummary {
  scoredPassed: number;
  scenariosPassing: string[];
  scenarios: Array<{ scenario: string; scored: boolean; failed: number; failures: Array<{ id: string; message: string }> }>;
}

interface NextFixture {
  url: string;
  stop(): Promise<void>;
}

/** The 2026-07-28 fixture as its own process (a tool: spawned, not imported). */
async function startNextFixture(args: string[] = ['--modern-only']): Promise<NextFixture> {
  const child: ChildProcess = spawn(process.execPath, [NEXT_MAIN, '--http', '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
      const match = /listening on (\S+)/.exec(err);
      if (match) resolve(match[1]!);
    });
    child.once('exit', () => reject(new Error(`mcp-fixture-next exited: ${err}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The fixture-next conformance runner (`--requirements 2026-07-28`, scored scenarios) in a child process. */
function runRequirements(url: string): Promise<RequirementsSummary> {
  const script = `const { runRequirements } = await import(${JSON.stringify(NEXT_RUNNER)});
process.stdout.write(JSON.stringify(await runRequirements(${JSON.stringify(url)}, { requirements: '2026-07-28', expectedFailures: ${JSON.stringify(baseline)} })));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.once('close', () => {
      try {
        resolve(JSON.parse(out) as RequirementsSummary);
      } catch {
        reject(new Error(`conformance runner printed no summary: ${err.slice(0, 2000)}`));
      }
    });
  });
}

/** Scenarios that pass directly but cannot pass through the gateway yet, with the reason. Empty: none. */
const EXPECTED_THROUGH_GATEWAY_FAILURES: string[] = [];

const MODERN = '2026-07-28';

async function setProtocolVersion(world: GatewayWorld, name: string, version: string): Promise<void> {
  await world.db.pg.query('UPDATE upstream_servers SET protocol_version = $1 WHERE tenant_id = $2 AND name = $3', [version, world.tenantId, name]);
}

describe('MCP 2026-07-28 conformance through the gateway, same scenarios as against the fixture directly', () => {
  let world: GatewayWorld;
  let fixture: NextFixture;
  let proxy: { url: string; close(): Promise<void> };
  let direct: RequirementsSummary | undefined;

  beforeAll(async () => {
    world = await startGatewayWorld();
    fixture = await startNextFixture();
    await world.addUpstream({ name: 'next', transport: 'http', url: fixture.url });
    await setProtocolVersion(world, 'next', MODERN);
    proxy = await startTokenProxy(world.publicUrl, () => world.token(world.serverUrl('next')));
  });
  afterAll(async () => {
    await proxy?.close();
    await world?.close();
    await fixture?.stop();
  });

  it('the fixture directly', { timeout: 300_000 }, async () => {
    direct = await runRequirements(fixture.url);
    console.info(`conformance 0.2 --requirements ${MODERN} directly: ${direct.scenariosPassing.length} scenarios, ${direct.scoredPassed} scored checks passed`);
    expect(direct.scenarios.filter((s) => s.scored && s.failed > 0)).toEqual([]);
  });

  it('through /servers/next/mcp (http upstream, 2026-07-28)', { timeout: 300_000 }, async () => {
    const through = await runRequirements(`${proxy.url}/t/${world.tenant}/servers/next/mcp`);
    console.info(`conformance 0.2 --requirements ${MODERN} through the gateway: ${through.scenariosPassing.length} scenarios, ${through.scoredPassed} scored checks passed`);
    const failing = through.scenarios.filter((s) => s.scored && s.failed > 0 && !EXPECTED_THROUGH_GATEWAY_FAILURES.includes(s.scenario));
    expect(failing.map((s) => ({ scenario: s.scenario, failures: s.failures }))).toEqual([]);
    expect(direct).toBeDefined();
    const passingThrough = new Set(through.scenariosPassing);
    expect(direct!.scenariosPassing.filter((s) => !passingThrough.has(s) && !EXPECTED_THROUGH_GATEWAY_FAILURES.includes(s))).toEqual([]);
    expect(through.scoredPassed).toBeGreaterThanOrEqual(direct!.scoredPassed);
  });
});
