import { z } from 'zod';
import { ErrorCodes, MetaKeys } from './protocol.js';
import type { JsonRpcErrorObject, JsonRpcId } from './protocol.js';

// `subscriptions/listen` (2026-07-28, basic/patterns/subscriptions): the filter a client opts in with, the
// subset a server honours, and the messages of the listen SSE stream. Pure: no I/O.

/** What a client opts in to; every member optional, omitted means not subscribed. */
export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

const filterSchema = z.looseObject({
  toolsListChanged: z.boolean().optional(),
  promptsListChanged: z.boolean().optional(),
  resourcesListChanged: z.boolean().optional(),
  resourceSubscriptions: z.array(z.string()).optional(),
});

/** The change notifications a listen stream may carry, and the filter member that opts in to each. */
export const LISTEN_NOTIFICATIONS = {
  'notifications/tools/list_changed': 'toolsListChanged',
  'notifications/prompts/list_changed': 'promptsListChanged',
  'notifications/resources/list_changed': 'resourcesListChanged',
  'notifications/resources/updated': 'resourceSubscriptions',
} as const;

/**
 * The filter of a `subscriptions/listen` request (`params.notifications`, REQUIRED), or the -32602 error
 * the request gets when it is missing or malformed.
 */
export function parseListenFilter(params: Record<string, unknown>): { ok: true; filter: SubscriptionFilter } | { ok: false; error: JsonRpcErrorObject } {
  const parsed = filterSchema.safeParse(params['notifications']);
  if (!parsed.success) {
    return { ok: false, error: { code: ErrorCodes.invalidParams, message: "Invalid params: 'notifications' is required and must be a valid SubscriptionFilter" } };
  }
  const { toolsListChanged, promptsListChanged, resourcesListChanged, resourceSubscriptions } = parsed.data;
  return {
    ok: true,
    filter: {
      ...(toolsListChanged !== undefined ? { toolsListChanged } : {}),
      ...(promptsListChanged !== undefined ? { promptsListChanged } : {}),
      ...(resourcesListChanged !== undefined ? { resourcesListChanged } : {}),
      ...(resourceSubscriptions !== undefined ? { resourceSubscriptions } : {}),
    },
  };
}

/** Capabilities as a server declares them (`tools.listChanged`, `resources.subscribe`, ...). */
type DeclaredCapabilities = Record<string, unknown>;

const flag = (capabilities: DeclaredCapabilities, key: string, member: string): boolean => {
  const entry = capabilities[key];
  return typeof entry === 'object' && entry !== null && (entry as Record<string, unknown>)[member] === true;
};

/**
 * The subset of `requested` a server with these capabilities can honour: only members set to true (or a
 * non-empty URI list), and only what the capabilities announce (`listChanged`, `resources.subscribe`).
 * It is what `notifications/subscriptions/acknowledged` reports.
 */
export function honoredFilter(requested: SubscriptionFilter, capabilities: DeclaredCapabilities): SubscriptionFilter {
  const honored: SubscriptionFilter = {};
  if (requested.toolsListChanged === true && flag(capabilities, 'tools', 'listChanged')) honored.toolsListChanged = true;
  if (requested.promptsListChanged === true && flag(capabilities, 'prompts', 'listChanged')) honored.promptsListChanged = true;
  if (requested.resourcesListChanged === true && flag(capabilities, 'resources', 'listChanged')) honored.resourcesListChanged = true;
  if (requested.resourceSubscriptions && requested.resourceSubscriptions.length > 0 && flag(capabilities, 'resources', 'subscribe')) {
    honored.resourceSubscriptions = [...new Set(requested.resourceSubscriptions)];
  }
  return honored;
}

export const isEmptyFilter = (filter: SubscriptionFilter): boolean => Object.keys(filter).length === 0;

/** Whether a change notification may go on a stream with this (honoured) filter: the server MUST NOT send what was not asked for. */
export function listenFilterAccepts(filter: SubscriptionFilter, method: string, params: Record<string, unknown> | undefined): boolean {
  switch (method) {
    case 'notifications/tools/list_changed':
      return filter.toolsListChanged === true;
    case 'notifications/prompts/list_changed':
      return filter.promptsListChanged === true;
    case 'notifications/resources/list_changed':
      return filter.resourcesListChanged === true;
    case 'notifications/resources/updated':
      return typeof params?.['uri'] === 'string' && (filter.resourceSubscriptions ?? []).includes(params['uri']);
    default:
      return false;
  }
}

/** A notification as it goes on a listen stream: `_meta` carries the listen request's id verbatim. */
export function listenNotification(method: string, params: Record<string, unknown> | undefined, subscriptionId: JsonRpcId): { jsonrpc: '2.0'; method: string; params: Record<string, unknown> } {
  const meta = (params?.['_meta'] ?? {}) as Record<string, unknown>;
  return { jsonrpc: '2.0', method, params: { ...params, _meta: { ...meta, [MetaKeys.subscriptionId]: subscriptionId } } };
}

/** The first message of every listen stream (MUST): what the server agreed to honour. */
export function listenAcknowledgement(honored: SubscriptionFilter, subscriptionId: JsonRpcId) {
  return listenNotification('notifications/subscriptions/acknowledged', { notifications: honored }, subscriptionId);
}

/** The `subscriptions/listen` response: sent only when the server ends the subscription deliberately. */
export function listenEndResponse(subscriptionId: JsonRpcId, serverInfo: { name: string; version: string }) {
  return {
    jsonrpc: '2.0' as const,
    id: subscriptionId,
    result: { resultType: 'complete', _meta: { [MetaKeys.subscriptionId]: subscriptionId, [MetaKeys.serverInfo]: serverInfo } },
  };
}

/** The notification without the upstream's own subscription id (a relay stamps its own). */
export function withoutSubscriptionId(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!params) return params;
  const meta = params['_meta'];
  if (typeof meta !== 'object' || meta === null || !(MetaKeys.subscriptionId in meta)) return params;
  const { [MetaKeys.subscriptionId]: _dropped, ...rest } = meta as Record<string, unknown>;
  const { _meta: _old, ...body } = params;
  return Object.keys(rest).length > 0 ? { ...body, _meta: rest } : body;
}
