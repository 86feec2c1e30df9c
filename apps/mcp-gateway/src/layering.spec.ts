import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The gateway's pipeline as folders (README.md draws it): a file may import its own layer and any layer
// below it, never one above. Type-only imports count too: they are how a layer comes to know another.
const SRC = dirname(fileURLToPath(import.meta.url));

/** Folder, its layer, its rank; lowest first. A file may import its own layer and anything ranked lower. */
const LAYERS: ReadonlyArray<readonly [folder: string, rank: number, layer?: string]> = [
  ['errors', 0],
  ['tenants', 0],
  ['streams', 1],
  ['observe', 1],
  ['upstream', 2],
  // The upstream-facing era adapters build on the upstream links and never on each other.
  ['upstream/to-2025', 3],
  ['upstream/to-2026', 3],
  ['router', 4],
  ['sessions', 5],
  // The HTTP edge and the client-facing era adapters are one layer: the handler picks the adapter.
  ['edge', 6],
  ['edge/client-2025', 6, 'edge'],
  ['edge/client-2026', 6, 'edge'],
  ['edge/well-known', 6, 'edge'],
  // Composition root: start-mcp-gateway.ts, app.module.ts, index.ts, main.ts.
  ['', 7],
];

function layerOf(file: string): { layer: string; rank: number } | undefined {
  const folder = dirname(relative(SRC, file)).replaceAll('\\', '/');
  const key = folder === '.' ? '' : folder;
  const found = LAYERS.find(([folder]) => folder === key);
  return found ? { layer: found[2] ?? found[0], rank: found[1] } : undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every relative import of a file (static, type-only, re-export or dynamic), resolved to a .ts path. */
export function importsOf(file: string, text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    found.push(resolve(dirname(file), match[1]!.replace(/\.js$/, '.ts')));
  }
  return found;
}

/** Imports that go up the pipeline (or out of it), as `importer -> imported` lines. */
export function layeringViolations(files: readonly string[], read: (file: string) => string): string[] {
  const violations: string[] = [];
  for (const file of files) {
    const from = layerOf(file);
    if (!from) {
      violations.push(`${relative(SRC, file)}: folder is no layer of the pipeline`);
      continue;
    }
    for (const target of importsOf(file, read(file))) {
      if (!target.startsWith(SRC)) continue;
      const to = layerOf(target);
      const ok = to !== undefined && (to.layer === from.layer || to.rank < from.rank);
      if (!ok) violations.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`);
    }
  }
  return violations;
}

describe('gateway layering', () => {
  it('no file imports a layer above its own (edge -> sessions -> router -> upstream -> streams/observe -> errors/tenants)', () => {
    expect(layeringViolations(sourceFiles(SRC), (file) => readFileSync(file, 'utf8'))).toEqual([]);
  });

  it('catches a lower layer importing a higher one, and a file outside every layer', () => {
    const files = [join(SRC, 'router/a.ts'), join(SRC, 'upstream/to-2025/b.ts'), join(SRC, 'eras/c.ts')];
    const sources: Record<string, string> = {
      [files[0]!]: "import type { X } from '../sessions/session-host.js';\nimport { y } from '../upstream/upstream-link.js';",
      [files[1]!]: "import { Z } from '../to-2026/upstream-2026-link.js';",
      [files[2]!]: '',
    };
    expect(layeringViolations(files, (file) => sources[file]!)).toEqual([
      'router/a.ts -> sessions/session-host.ts',
      'upstream/to-2025/b.ts -> upstream/to-2026/upstream-2026-link.ts',
      'eras/c.ts: folder is no layer of the pipeline',
    ]);
  });
});
