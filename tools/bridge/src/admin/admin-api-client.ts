import { ADMIN_API_PREFIX } from '@airlock/contracts';
import type { AdminRouteDefinition } from '@airlock/contracts';
import type { z } from 'zod';
import { ApiError, invalidRequest } from './admin-errors.js';
import { readApiError, sendRequest } from './admin-http.js';
import type { AccessTokenSource } from './admin-token.js';

// Calls one route of the admin API's route table (@airlock/contracts): the path, method and schemas are
// the server's own. Path parameters, query and body are checked against the route's schemas before
// anything is sent (a bad one is a usage error, exit 2), and the answer against its response schema.

export interface RouteInput {
  params?: Record<string, string>;
  query?: Record<string, string | undefined>;
  body?: unknown;
}

export type RouteResponse<R extends AdminRouteDefinition> = R['response'] extends z.ZodType ? z.output<R['response']> : undefined;

export interface RouteResult<R extends AdminRouteDefinition> {
  /** What the API answered, as sent (for --json). */
  raw: unknown;
  /** The same, parsed by the route's response schema. */
  data: RouteResponse<R>;
}

/** Checks a request against its route's schemas; returns the URL path + query and the JSON body. */
export function prepareRequest(route: AdminRouteDefinition, input: RouteInput): { path: string; body: string | undefined } {
  let path = route.path;
  if (route.params) {
    const params = route.params.safeParse(input.params ?? {});
    if (!params.success) throw invalidRequest(route.operationId, params.error);
    for (const [name, value] of Object.entries(params.data as Record<string, string>)) path = path.replace(`{${name}}`, encodeURIComponent(value));
  }
  if (route.query) {
    const defined = Object.fromEntries(Object.entries(input.query ?? {}).filter(([, value]) => value !== undefined));
    const query = route.query.safeParse(defined);
    if (!query.success) throw invalidRequest(route.operationId, query.error);
    // Only what was asked for: the server applies its own defaults.
    const search = new URLSearchParams(defined as Record<string, string>).toString();
    if (search) path += `?${search}`;
  }
  let body: string | undefined;
  if (route.body) {
    const checked = route.body.safeParse(input.body ?? {});
    if (!checked.success) throw invalidRequest(route.operationId, checked.error);
    body = JSON.stringify(input.body ?? {});
  }
  return { path: `${ADMIN_API_PREFIX}${path}`, body };
}

/** Where the API is and how to sign in, resolved on the first call that passes validation. */
export type AdminConnection = () => { authUrl: string; tokens: AccessTokenSource };

export class AdminApiClient {
  constructor(private readonly connection: AdminConnection) {}

  async call<R extends AdminRouteDefinition>(route: R, input: RouteInput = {}): Promise<RouteResult<R>> {
    // Validation first: a bad request is refused without credentials, a token or a network.
    const { path, body } = prepareRequest(route, input);
    const { authUrl, tokens } = this.connection();
    const headers: Record<string, string> = { authorization: `Bearer ${await tokens.accessToken()}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await sendRequest(`${authUrl}${path}`, { method: route.method, headers, body });
    if (response.status !== route.status) {
      if (response.ok) throw new ApiError('invalid_response', `${route.method} ${path} answered ${response.status}, expected ${route.status}`);
      throw await readApiError(response, `${route.method} ${path}`);
    }
    if (!route.response) return { raw: undefined, data: undefined as RouteResponse<R> };
    const raw: unknown = await response.json().catch(() => undefined);
    const parsed = route.response.safeParse(raw);
    if (!parsed.success) throw new ApiError('invalid_response', `${route.method} ${path}: the answer does not match the admin API's contract (is the CLI older or newer than the server?)`);
    return { raw, data: parsed.data as RouteResponse<R> };
  }
}
