import { fileURLToPath } from 'node:url';
import { spawnFixture } from './gateway-harness.js';
import type { FixtureProcess } from './gateway-harness.js';

const NEXT_MAIN = fileURLToPath(new URL('../../../../tools/mcp-fixture-next/dist/main.js', import.meta.url));

export type NextFixture = FixtureProcess;

/** The 2026-07-28 fixture as its own process. */
export function startNextFixture(args: string[] = ['--modern-only']): Promise<NextFixture> {
  return spawnFixture(NEXT_MAIN, args);
}
