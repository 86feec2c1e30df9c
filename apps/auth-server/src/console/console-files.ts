import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The console's built files (`apps/admin-console/dist`, written by `npm run build`), beside this app's src/ and dist/. */
export const CONSOLE_DIST = fileURLToPath(new URL('../../../admin-console/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export interface ConsoleFile {
  body: Buffer;
  type: string;
  /** Vite's content-hashed output (`assets/`): cacheable for ever. */
  immutable: boolean;
}

/**
 * One file of the built console by its path below `/console/`, or undefined. Only plain relative names
 * (no `..`, no dot files) resolve, and only inside the dist directory.
 */
export async function readConsoleFile(dist: string, relative: string): Promise<ConsoleFile | undefined> {
  if (!/^[A-Za-z0-9_\-/.]*$/.test(relative) || relative.split('/').some((part) => part.startsWith('.'))) return undefined;
  const path = normalize(join(dist, relative));
  if (!path.startsWith(dist.endsWith(sep) ? dist : dist + sep)) return undefined;
  const type = TYPES[extname(path)];
  if (!type) return undefined;
  try {
    return { body: await readFile(path), type, immutable: relative.startsWith('assets/') };
  } catch {
    return undefined;
  }
}
