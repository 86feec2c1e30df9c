import { defineConfig } from 'vitest/config';
import swc from 'unplugin-swc';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// SWC, not esbuild, transforms the tests: NestJS DI needs the decorator metadata esbuild drops.
// Workspace packages resolve to their TypeScript sources through the `@airlock/source` condition.
export default defineConfig({
  root,
  plugins: [swc.vite({ swcrc: true, module: { type: 'es6' }, root })],
  resolve: { conditions: ['@airlock/source'] },
  ssr: { resolve: { conditions: ['@airlock/source'] } },
  test: {
    include: ['{apps,libs,tools}/*/src/**/*.spec.ts', '{apps,libs,tools}/*/test/**/*.test.ts'],
    globalSetup: ['libs/testing/src/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
