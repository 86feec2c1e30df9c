import { GatewayError } from '../errors/gateway-error.js';

/** One page of the upstream's `tools/list` (its result as the upstream sent it). */
export type ToolListPage = (cursor: string | undefined) => Promise<Record<string, unknown>>;

/** Pages read at most for one list: an upstream that never stops paginating cannot hold a call forever. */
const MAX_PAGES = 100;

/** The JSON-RPC error the MCP spec gives for a call to a tool the server does not have. */
export const unknownToolError = (name: string) => new GatewayError('unknown_tool', { message: `Unknown tool: ${name}` });

/**
 * A tools/call of a tool whose definition changed since an admin approved it (pinned tool definitions):
 * says why, and nothing of the gateway's internals; the audit record gets the tool's version hash.
 */
export const toolWithheldError = (shown: string, hash: string) =>
  new GatewayError('tool_withheld', {
    message: `Tool ${shown} is withheld: its definition changed and awaits an administrator's approval`,
    data: { reason: 'tool_definition_changed', tool: shown },
    auditDetails: { toolHash: hash },
  });

/**
 * The names an upstream listed in its latest `tools/list`, which are the only names the gateway lets
 * through to it. Why: per-tool scopes are looked up by the exact name, so an upstream that also accepts
 * `SECRET_OP` or ` secret_op` for its `secret_op` would otherwise run a scoped tool without the scope.
 * Loaded on the first call, dropped on `notifications/tools/list_changed` (`invalidate`).
 */
export class UpstreamToolList {
  private names: Promise<ReadonlySet<string>> | undefined;

  /** `hidden`: names an admin disabled, refused exactly as names the upstream does not have. */
  constructor(
    private readonly page: ToolListPage,
    private readonly hidden: () => Promise<ReadonlySet<string>> = async () => new Set(),
  ) {}

  invalidate(): void {
    this.names = undefined;
  }

  /** Resolves when `name` is exactly a listed tool; otherwise throws -32602 `Unknown tool: <shown>`. */
  async require(name: string, shown: string = name): Promise<void> {
    if (!(await this.load()).has(name) || (await this.hidden()).has(name)) throw unknownToolError(shown);
  }

  private load(): Promise<ReadonlySet<string>> {
    if (this.names) return this.names;
    const loading = readToolNames(this.page);
    this.names = loading;
    // A failed read is not remembered: the next call asks again.
    loading.catch(() => {
      if (this.names === loading) this.names = undefined;
    });
    return loading;
  }
}

/** A tools/list result without the tools an admin disabled (the upstream's own result when none is). */
export function withoutDisabledTools(result: Record<string, unknown>, disabled: ReadonlySet<string>): Record<string, unknown> {
  if (disabled.size === 0 || !Array.isArray(result['tools'])) return result;
  return { ...result, tools: (result['tools'] as Array<Record<string, unknown>>).filter((tool) => !disabled.has(String(tool['name']))) };
}

/** Every tool name of the upstream, all pages walked. */
export async function readToolNames(page: ToolListPage): Promise<ReadonlySet<string>> {
  const names = new Set<string>();
  let cursor: string | undefined;
  for (let read = 0; read < MAX_PAGES; read++) {
    const result = await page(cursor);
    const tools = Array.isArray(result['tools']) ? (result['tools'] as unknown[]) : [];
    for (const tool of tools) {
      const name = typeof tool === 'object' && tool !== null ? (tool as Record<string, unknown>)['name'] : undefined;
      if (typeof name === 'string') names.add(name);
    }
    cursor = typeof result['nextCursor'] === 'string' ? result['nextCursor'] : undefined;
    if (cursor === undefined) break;
  }
  return names;
}

/** How long a stateless request trusts an upstream's tool names it read for an earlier request (GATEWAY_TOOL_LIST_TTL_MS). */
export const DEFAULT_TOOL_LIST_TTL_MS = 30_000;
/** Upstream lists remembered at most (least recently read dropped first): one per server, or per server and caller for token exchange. */
export const DEFAULT_TOOL_LIST_MAX_ENTRIES = 10_000;

interface CachedNames {
  names: ReadonlySet<string> | undefined;
  readAt: number;
  reading: Promise<ReadonlySet<string>> | undefined;
}

/**
 * The exact-name check for requests that have no upstream link to keep a list on (2026-07-28 stateless
 * calls): each upstream's tool names, read once and shared by the calls of this process for `ttlMs`, so a
 * tools/call costs no extra upstream round trip. A name not in the set re-reads the list once before it
 * is refused (a tool the upstream just added is callable at once); after `ttlMs` the set is read again (a
 * removed tool is refused from then on). Concurrent reads of one list are one read; a failed read is not
 * remembered. The caller chooses the key: whatever can make two callers' lists differ belongs in it.
 */
export class ToolNameCache {
  private readonly entries = new Map<string, CachedNames>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {}) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TOOL_LIST_TTL_MS;
    this.maxEntries = options.maxEntries ?? DEFAULT_TOOL_LIST_MAX_ENTRIES;
    this.now = options.now ?? (() => Date.now());
  }

  /** Resolves when `name` is exactly a tool of the list under `key` (read with `page` when missing, stale or without it); otherwise -32602. */
  async require(key: string, page: ToolListPage, name: string, shown: string = name): Promise<void> {
    const entry = this.entries.get(key);
    if (entry?.names && entry.names.has(name)) {
      const age = this.now() - entry.readAt;
      // A clock that stepped back makes the entry stale, not immortal.
      if (age >= 0 && age < this.ttlMs) return;
    }
    if (!(await this.read(key, page)).has(name)) throw unknownToolError(shown);
  }

  /** The list read again, or the read already under way for `key` joined. */
  private read(key: string, page: ToolListPage): Promise<ReadonlySet<string>> {
    let entry = this.entries.get(key);
    if (entry?.reading) return entry.reading;
    if (!entry) {
      if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      entry = { names: undefined, readAt: 0, reading: undefined };
    }
    // Re-inserted: the map's order is the order of the last reads, the oldest is dropped first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    const current = entry;
    const reading = readToolNames(page).then(
      (names) => {
        current.names = names;
        current.readAt = this.now();
        current.reading = undefined;
        return names;
      },
      (error: unknown) => {
        current.reading = undefined;
        if (!current.names && this.entries.get(key) === current) this.entries.delete(key);
        throw error;
      },
    );
    current.reading = reading;
    return reading;
  }
}
