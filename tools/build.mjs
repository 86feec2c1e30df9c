// Compiles every workspace package's src/ to dist/ with SWC (decorator metadata included, which
// NestJS DI needs and esbuild-based tools drop). Type checking is `npm run typecheck`, not this.
// Incremental: a file is recompiled only when its source is newer than its output.
import { readFileSync, readdirSync, statSync, mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join, dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformFile } from '@swc/core';
import { generatePrismaClient } from './prisma-generate.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const swcrc = JSON.parse(readFileSync(join(root, '.swcrc'), 'utf8'));
delete swcrc.$schema;

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(path);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && !entry.name.endsWith('.spec.ts')) yield path;
  }
}

const CONSOLE_DIR = join(root, 'apps', 'admin-console');

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** The admin web console (React, Vite) into apps/admin-console/dist, which the auth server serves at /console. Skipped when up to date. */
async function buildConsole() {
  const built = join(CONSOLE_DIR, 'dist', 'index.html');
  const inputs = ['src', 'index.html', 'vite.config.mjs'].map((name) => join(CONSOLE_DIR, name));
  if (existsSync(built) && statSync(built).mtimeMs >= Math.max(...inputs.map(newestMtime))) return false;
  const { build } = await import('vite');
  await build({ configFile: join(CONSOLE_DIR, 'vite.config.mjs') });
  return true;
}

function packageDirs() {
  const dirs = [];
  for (const group of ['libs', 'apps', 'tools']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const name of readdirSync(groupDir)) {
      const dir = join(groupDir, name);
      if (dir === CONSOLE_DIR) continue; // a browser app: Vite builds it (buildConsole)
      if (existsSync(join(dir, 'src'))) dirs.push(dir);
    }
  }
  if (existsSync(join(root, 'bench', 'src'))) dirs.push(join(root, 'bench'));
  return dirs;
}

async function buildPackage(dir) {
  const src = join(dir, 'src');
  const out = join(dir, 'dist');
  const jobs = [];
  for (const file of sourceFiles(src)) {
    const target = join(out, relative(src, file)).replace(/\.ts$/, '.js');
    if (existsSync(target) && statSync(target).mtimeMs >= statSync(file).mtimeMs) continue;
    jobs.push(
      transformFile(file, { ...swcrc, swcrc: false, sourceFileName: relative(dirname(target), file) }).then((result) => {
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, `${result.code}\n//# sourceMappingURL=${target.split('/').pop()}.map\n`);
        if (result.map) writeFileSync(`${target}.map`, result.map);
      }),
    );
  }
  // Non-TS assets the runtime reads (templates, SQL) are read from src/ directly; nothing to copy.
  await Promise.all(jobs);
  return jobs.length;
}

// `node tools/build.mjs tools/bridge`: only the packages named (the bridge's bin builds itself this way,
// without the Prisma client or the rest of the platform).
const named = process.argv.slice(2).filter((arg) => !arg.startsWith('--'));
const dirs = (named.length > 0 ? named.map((dir) => join(root, dir)) : packageDirs()).filter((dir) => dir !== CONSOLE_DIR);
if (process.argv.includes('--clean')) {
  for (const dir of dirs) rmSync(join(dir, 'dist'), { recursive: true, force: true });
}
if (named.length === 0) await generatePrismaClient({ onlyIfStale: true });
let compiled = 0;
for (const dir of dirs) compiled += await buildPackage(dir);
if (named.length === 0 || named.some((dir) => join(root, dir) === CONSOLE_DIR)) {
  if (process.argv.includes('--clean')) rmSync(join(CONSOLE_DIR, 'dist'), { recursive: true, force: true });
  if ((await buildConsole()) && process.env.AIRLOCK_BUILD_VERBOSE) console.log('built the admin console');
}
if (process.env.AIRLOCK_BUILD_VERBOSE) console.log(`compiled ${compiled} files`);
