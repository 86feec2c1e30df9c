import { createHash } from 'node:crypto';

// Pinned tool definitions (issue 17). What a client (and the model behind it) reads of a tool is its
// definition: name, title, description, input and output schemas, annotations. An upstream that changes
// any of it after an admin approved the tool (a "rug pull": same name, new instructions) must not reach
// clients silently. The gateway hashes each listed definition and compares it with the tool's pins.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The parts of a tool that are pinned. Anything else an upstream sends (`_meta`, icons) is not. */
export interface ToolDefinition {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: Json;
  outputSchema?: Json;
  annotations?: Json;
}

const PINNED_FIELDS = ['name', 'title', 'description', 'inputSchema', 'outputSchema', 'annotations'] as const;

/** A JSON value with object keys sorted at every depth and `undefined` members dropped (arrays keep their order). */
function canonical(value: unknown): Json | undefined {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map((item) => canonical(item) ?? null);
  const out: { [key: string]: Json } = {};
  for (const key of Object.keys(value as object).sort()) {
    const member = canonical((value as Record<string, unknown>)[key]);
    if (member !== undefined) out[key] = member;
  }
  return out;
}

/** The pinned part of a listed tool, canonical (sorted keys, no undefined). */
export function toolDefinition(tool: Record<string, unknown>): ToolDefinition {
  const picked: Record<string, unknown> = {};
  for (const field of PINNED_FIELDS) if (tool[field] !== undefined) picked[field] = tool[field];
  picked['name'] = String(tool['name']);
  return canonical(picked) as unknown as ToolDefinition;
}

/** The canonical JSON text of a definition: equal definitions give equal text whatever their key order. */
export function canonicalJson(definition: ToolDefinition): string {
  return JSON.stringify(canonical(definition));
}

/** sha256 (lower-case hex) of the canonical JSON: the tool's version. */
export function toolDefinitionHash(definition: ToolDefinition): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex');
}

/** What the catalogue holds for one tool of a server (`tools` row). */
/** The version of a tool a call reaches: its definition's hash, and whether that definition awaits approval (withhold mode: refused). */
export interface ToolVersion {
  hash: string;
  withheld: boolean;
}

export interface ToolPin {
  approvedHash: string | null;
  seenHash: string | null;
}

/**
 * A tenant's pinning policy (tenant settings `toolPinning`). `withhold` (default): a changed tool is left
 * out of tools/list and refused on tools/call until an admin approves it; `flag`: it is served, marked in
 * its `_meta` and audited. `approveNewTools`: false (default) trusts a tool the first time it is seen
 * (trust on first use: its first definition is approved as is); true holds new tools for approval too.
 */
export interface PinningPolicy {
  mode: 'withhold' | 'flag';
  approveNewTools: boolean;
}

export const DEFAULT_PINNING_POLICY: PinningPolicy = { mode: 'withhold', approveNewTools: false };

/** Reads the policy from tenant settings; anything unrecognised falls back to the safe default. */
export function pinningPolicy(settings: Record<string, unknown> | undefined): PinningPolicy {
  const raw = settings?.['toolPinning'];
  if (typeof raw !== 'object' || raw === null) return DEFAULT_PINNING_POLICY;
  const { mode, approveNewTools } = raw as Record<string, unknown>;
  return { mode: mode === 'flag' ? 'flag' : 'withhold', approveNewTools: approveNewTools === true };
}

/**
 * A definition the catalogue has not recorded yet. `first_use`: a new tool trusted on first sight
 * (recorded as approved); `new`: a new tool held for approval; `changed`: differs from the approved one;
 * `restored`: back to the approved definition after a change was seen.
 */
export interface ToolSighting {
  name: string;
  kind: 'first_use' | 'new' | 'changed' | 'restored';
  hash: string;
  definition: ToolDefinition;
  /** The approved hash at the time (null for a new tool). */
  approvedHash: string | null;
}

/** The `_meta` key a flagged tool carries in tools/list (flag mode). */
export const PIN_META_KEY = 'airlock/tool-pin';

export interface GatedTools {
  /** What the client gets: approved tools, plus flagged ones (marked) in flag mode. */
  tools: Array<Record<string, unknown>>;
  /** Tools not approved in their listed definition, by name: their listed hash. Withheld or flagged per policy. */
  unapproved: Map<string, string>;
  /** Hash of every listed tool, by name. */
  hashes: Map<string, string>;
  /** Definitions the catalogue does not hold yet: to record (and audit), off the request path. */
  sightings: ToolSighting[];
}

/**
 * Gates one upstream's listed tools against their pins. Pure: the caller records the sightings. A tool is
 * served when its listed hash is the approved one (or it is new and trusted on first use); otherwise it is
 * withheld, or served marked in flag mode. A sighting is produced only when the listed hash is not the
 * recorded seen hash, so an unchanged list records nothing.
 */
export function gateTools(listed: ReadonlyArray<Record<string, unknown>>, pins: ReadonlyMap<string, ToolPin>, policy: PinningPolicy): GatedTools {
  const tools: Array<Record<string, unknown>> = [];
  const unapproved = new Map<string, string>();
  const hashes = new Map<string, string>();
  const sightings: ToolSighting[] = [];
  for (const tool of listed) {
    const definition = toolDefinition(tool);
    const hash = toolDefinitionHash(definition);
    hashes.set(definition.name, hash);
    const pin = pins.get(definition.name);
    const approvedHash = pin?.approvedHash ?? null;
    const unseen = pin?.seenHash !== hash;
    let approved: boolean;
    if (approvedHash === null) {
      approved = !policy.approveNewTools;
      if (unseen) sightings.push({ name: definition.name, kind: approved ? 'first_use' : 'new', hash, definition, approvedHash });
    } else {
      approved = approvedHash === hash;
      if (unseen) sightings.push({ name: definition.name, kind: approved ? 'restored' : 'changed', hash, definition, approvedHash });
    }
    if (approved) {
      tools.push(tool);
      continue;
    }
    unapproved.set(definition.name, hash);
    if (policy.mode === 'flag') {
      const meta = typeof tool['_meta'] === 'object' && tool['_meta'] !== null ? (tool['_meta'] as Record<string, unknown>) : {};
      tools.push({ ...tool, _meta: { ...meta, [PIN_META_KEY]: { state: approvedHash === null ? 'new' : 'changed', hash, approvedHash } } });
    }
  }
  return { tools, unapproved, hashes, sightings };
}

/** Names whose recorded seen definition awaits approval (what tools/call refuses before any list is read here). */
export function pendingNames(pins: ReadonlyMap<string, ToolPin>, policy: PinningPolicy): Map<string, string> {
  const pending = new Map<string, string>();
  for (const [name, pin] of pins) {
    if (pin.seenHash === null) continue;
    if (pin.approvedHash === null ? policy.approveNewTools : pin.approvedHash !== pin.seenHash) pending.set(name, pin.seenHash);
  }
  return pending;
}
