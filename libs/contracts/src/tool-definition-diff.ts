import type { ToolDefinitionDifference } from './admin-responses.js';

// Pinned tool definitions: what an admin reads before approving a changed tool. A field-level diff of two
// definitions (name, title, description, inputSchema, outputSchema, annotations): every leaf that was
// added, removed or changed, by JSON path. Arrays are compared whole (a schema's `required`, an `enum`):
// their order is part of the definition, and a reordered list is one change, not many.

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `a.b`, or `a["odd key"]` for a key that is no identifier. */
function join(path: string, key: string): string {
  if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) return path ? `${path}.${key}` : key;
  return `${path}[${JSON.stringify(key)}]`;
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => same(item, b[index]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && same(a[key], b[key]));
  }
  return false;
}

function walk(before: unknown, after: unknown, path: string, out: ToolDefinitionDifference[]): void {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const next = join(path, key);
      if (!(key in before)) out.push({ path: next, change: 'added', after: after[key] });
      else if (!(key in after)) out.push({ path: next, change: 'removed', before: before[key] });
      else walk(before[key], after[key], next, out);
    }
    return;
  }
  if (!same(before, after)) out.push({ path: path || '$', change: 'changed', before, after });
}

/** Every difference between an approved definition (null: none yet) and the one seen since, sorted by path. */
export function toolDefinitionDifferences(before: Record<string, unknown> | null, after: Record<string, unknown>): ToolDefinitionDifference[] {
  const out: ToolDefinitionDifference[] = [];
  walk(before ?? {}, after, '', out);
  return out;
}
