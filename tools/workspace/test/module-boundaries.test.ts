import { ESLint } from 'eslint';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

// The architecture rules are lint rules; these tests prove the rules bite, by linting imports that
// break them as if they were written in the named files.
const root = fileURLToPath(new URL('../../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

// The rule reads Nx's cached project graph and silently skips itself when there is none (a fresh clone
// that runs `npm test` before any `nx` command): build the graph first so these tests can fail.
beforeAll(() => {
  execFileSync(process.execPath, [`${root}node_modules/nx/dist/bin/nx.js`, 'show', 'projects'], { cwd: root, env: { ...process.env, NX_DAEMON: 'false' }, stdio: 'ignore' });
}, 60_000);

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}${filePath}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  it('refuses an app importing another app', async () => {
    const errors = await boundaryErrors('apps/mcp-gateway/src/probe.ts', "import { startAuthServer } from '@airlock/auth-server';\nexport const x = startAuthServer;\n");
    expect(errors.join('\n')).toMatch(/type:app.*can only depend on/);
  });

  it('refuses contracts importing a framework', async () => {
    const errors = await boundaryErrors('libs/contracts/src/probe.ts', "import { Injectable } from '@nestjs/common';\nexport const x = Injectable;\n");
    expect(errors.join('\n')).toMatch(/type:contracts.*not allowed to import "@nestjs\/common"/);
  });

  it('refuses a library reaching up into an app', async () => {
    const errors = await boundaryErrors('libs/config/src/probe.ts', "import { startMcpGateway } from '@airlock/mcp-gateway';\nexport const x = startMcpGateway;\n");
    expect(errors).not.toHaveLength(0);
  });

  it('refuses production code importing the testing lib, and lets tests use it', async () => {
    const probe = "import { createTestLogger } from '@airlock/testing';\nexport const x = createTestLogger;\n";
    expect((await boundaryErrors('apps/session-store/src/probe.ts', probe)).join('\n')).toMatch(/type:app.*can only depend on/);
    expect(await boundaryErrors('apps/session-store/test/probe.test.ts', probe)).toEqual([]);
    expect(await boundaryErrors('libs/session-client/test/probe.test.ts', probe)).toEqual([]);
  });

  it('allows an app importing shared libraries', async () => {
    const errors = await boundaryErrors('apps/mcp-gateway/src/probe.ts', "import { loadConfig } from '@airlock/config';\nexport const x = loadConfig;\n");
    expect(errors).toEqual([]);
  });
});

describe('layout', () => {
  it('keeps the top level to the agreed entries', () => {
    const allowed = new Set([
      'apps', 'libs', 'prisma', 'tools', 'bench', 'nx.json', 'package.json', 'package-lock.json', 'tsconfig.base.json',
      'docker-compose.yml', 'README.md', 'eslint.config.mjs', 'node_modules',
    ]);
    const unexpected = readdirSync(root).filter((entry) => !entry.startsWith('.') && !allowed.has(entry));
    expect(unexpected).toEqual([]);
  });
});
