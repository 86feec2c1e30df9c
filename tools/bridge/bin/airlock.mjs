#!/usr/bin/env node
// `airlock connect <mcp-url>` (the bridge) and `airlock admin ...` (the admin CLI), committed as plain
// JavaScript so it exists right after `git clone` + `npm install` (npm links bins at install time, before
// anything is built). It compiles the bridge (and the contracts the admin CLI imports) when a dist/ is
// missing or older than its sources, then runs it. Usable from anywhere:
// `node /path/to/airlock/tools/bridge/bin/airlock.mjs connect <url>`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const bridgeDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const root = join(bridgeDir, '..', '..');

function* sources(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts')) yield path;
  }
}

// The contracts only where this checkout has their sources (a copy of the bridge alone uses the installed ones).
const packages = [bridgeDir, join(root, 'libs', 'contracts')].filter((dir) => existsSync(join(dir, 'src')));

function stale(dir) {
  const src = join(dir, 'src');
  for (const file of sources(src)) {
    const built = join(dir, 'dist', relative(src, file)).replace(/\.ts$/, '.js');
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(file).mtimeMs) return true;
  }
  return false;
}

const toBuild = packages.filter(stale);
if (toBuild.length > 0) {
  // stdout is the MCP stream: whatever the build prints goes to stderr.
  const build = spawnSync(process.execPath, [join(root, 'tools', 'build.mjs'), ...toBuild.map((dir) => relative(root, dir))], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) {
    process.stderr.write(`airlock: could not build the bridge (run \`npm install\` in ${root} first)\n`);
    process.exit(1);
  }
}
await import(pathToFileURL(join(bridgeDir, 'dist', 'main.js')).href);
