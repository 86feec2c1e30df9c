import { GatewayError } from '../errors/gateway-error.js';

/** One page of the upstream's `tools/list` (its result as the upstream sent it). */
export type ToolListPage = (cursor: string | undefined) => Promise<Record<string, unknown>>;

/** Pages read at most for one list: an upstream that never stops paginating cannot hold a call forever. */
const MAX_PAGES = 100;

/** The JSON-RPC error the MCP spec gives for a call to a tool the server does not have. */
export const unknownToolError = (name: string) => new GatewayError('unknown_tool', { message: `Unknown tool: ${name}` });

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
