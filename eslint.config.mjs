// One flat config for the workspace. The module-boundary rule is what keeps the architecture honest:
// apps never import apps, contracts import no framework, infra never reaches up into apps.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import nx from '@nx/eslint-plugin';

const frameworkPackages = ['@nestjs/*', '@prisma/*', 'fastify', '@fastify/*', 'bullmq', 'ioredis', 'pg', 'oidc-provider', 'pino', 'undici'];

/** Production code never depends on the testing lib; tests anywhere may (it only builds test fixtures). */
function boundaryRule({ tests }) {
  const testing = tests ? ['type:testing'] : [];
  return [
    'error',
    {
      enforceBuildableLibDependency: false,
      allow: [],
      depConstraints: [
        { sourceTag: 'type:contracts', onlyDependOnLibsWithTags: ['type:contracts', ...testing], bannedExternalImports: frameworkPackages },
        { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', ...testing] },
        { sourceTag: 'type:infra', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:infra', ...testing] },
        { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:infra', 'type:testing'] },
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:contracts', 'type:util', 'type:infra', ...testing] },
        // The launcher runs the three apps in one process for the embedded default, and the fixtures and
        // bench drive them: tools are the only projects allowed to depend on apps.
        { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:app', 'type:contracts', 'type:util', 'type:infra', 'type:testing', 'type:tool'] },
        { sourceTag: 'scope:auth-server', onlyDependOnLibsWithTags: ['scope:shared', 'scope:auth-server'] },
        { sourceTag: 'scope:session-store', onlyDependOnLibsWithTags: ['scope:shared', 'scope:session-store'] },
        { sourceTag: 'scope:mcp-gateway', onlyDependOnLibsWithTags: ['scope:shared', 'scope:mcp-gateway'] },
      ],
    },
  ];
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/generated/**', '.toolchain/**', '.airlock/**', '.nx/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': boundaryRule({ tests: false }),
    },
  },
  {
    files: ['**/test/**/*.ts', '**/*.spec.ts'],
    rules: { '@nx/enforce-module-boundaries': boundaryRule({ tests: true }) },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
