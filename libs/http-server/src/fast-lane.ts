import type { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { REQUEST_ID_HEADER, resolveRequestId, type Logger } from '@airlock/observability';
import type { HttpMetricsSink } from './create-http-app.js';
import type { RawRequest, RawResponse } from './raw-handler.js';

/** Serves one request of a raw mount; never rejects (failures are answered and logged by the mount). */
export type LaneServe = (request: RawRequest, response: RawResponse, requestId: string) => Promise<void>;

type RequestListener = (request: RawRequest, response: RawResponse) => void;

/** One path segment of a prefix or route: text to equal, a parameter (any non-empty text), or `*` (the rest). */
type Segment = { kind: 'static'; text: string } | { kind: 'param' } | { kind: 'rest' };

interface Lane {
  /** The mount's prefix as registered (`/t/:tenant`): the route label of its requests. */
  prefix: string;
  segments: Segment[];
  /** The Fastify routes the mount itself registered (its fallback for requests the lane hands on). */
  ownRoutes: ReadonlySet<string>;
  /** Other routes under the prefix, which Fastify routes first as more specific: those requests go to Fastify. */
  shadows: Segment[][];
  serve: LaneServe;
}

const SLASH = 0x2f;
// find-my-way's default: a longer parameter is answered 414 by Fastify, so the lane leaves it to Fastify.
const MAX_PARAM_LENGTH = 100;
// Fastify's own 503 while closing, byte for byte, so clients see one shape for the whole shutdown.
const CLOSING_BODY = '{"error":"Service Unavailable","message":"Service Unavailable","statusCode":503}';

function segmentsOf(path: string): Segment[] {
  return path
    .split('/')
    .slice(1)
    .map((text): Segment => (text === '*' ? { kind: 'rest' } : text.includes(':') || text.includes('*') ? { kind: 'param' } : { kind: 'static', text }));
}

/**
 * Whether `url` (up to `pathEnd`) starts with `segments` on segment boundaries (`whole`: is exactly them).
 * Index arithmetic, no split: it runs on every request.
 */
function matches(segments: readonly Segment[], url: string, pathEnd: number, whole: boolean): boolean {
  let at = 0;
  for (const segment of segments) {
    if (segment.kind === 'rest') return true;
    if (at >= pathEnd || url.charCodeAt(at) !== SLASH) return false;
    const start = at + 1;
    const next = url.indexOf('/', start);
    const end = next === -1 || next > pathEnd ? pathEnd : next;
    if (segment.kind === 'param') {
      if (end === start || end - start > MAX_PARAM_LENGTH) return false;
    } else if (end - start !== segment.text.length || !url.startsWith(segment.text, start)) return false;
    at = end;
  }
  return whole ? at === pathEnd : at === pathEnd || url.charCodeAt(at) === SLASH;
}

/** Whether some path could match both a route and the first segments of a prefix (over-approximated). */
function overlaps(route: readonly Segment[], prefix: readonly Segment[]): boolean {
  for (let index = 0; index < prefix.length; index++) {
    const mine = prefix[index];
    const theirs = route[index];
    if (theirs === undefined) return false;
    if (theirs.kind === 'rest') return true;
    if (mine?.kind === 'static' && theirs.kind === 'static' && mine.text !== theirs.text) return false;
  }
  return true;
}

function pathEndOf(url: string): number {
  const query = url.indexOf('?');
  const hash = url.indexOf('#');
  if (query === -1) return hash === -1 ? url.length : hash;
  return hash === -1 || query < hash ? query : hash;
}

/**
 * Serves raw mounts marked `fastLane` straight from the Node server's `request` event, before Fastify:
 * no routing, hooks, middleware, content-type parsing or per-request child logger. What those gave the
 * mount's requests is done here instead: the request id header, Fastify's 503 once the app is closing,
 * the debug summary line. Anything unusual (percent-encoded paths, empty or over-long parameters, a path
 * a more specific Fastify/Nest route would take) is handed to Fastify, which still has the mount's routes,
 * so the lane only ever changes how fast a request is served, never who serves it.
 */
export class FastLane {
  private readonly lanes: Lane[] = [];
  private readonly routeUrls: string[] = [];
  private fastify: RequestListener | undefined;
  private closing = false;

  constructor(
    private readonly instance: FastifyInstance,
    private readonly logger: Logger,
    private readonly metrics?: HttpMetricsSink,
  ) {
    // Recorded from the start, before Nest registers its controllers, so that shadowing routes are known.
    instance.addHook('onRoute', (route) => {
      this.routeUrls.push(route.url);
    });
    // Fastify sets its own closing flag at the same point (its onClose, before the preClose hooks).
    instance.addHook('preClose', (done) => {
      this.closing = true;
      done();
    });
    instance.addHook('onReady', (done) => {
      for (const lane of this.lanes) {
        lane.shadows = this.routeUrls.filter((url) => !lane.ownRoutes.has(url)).map(segmentsOf).filter((route) => overlaps(route, lane.segments));
      }
      done();
    });
  }

  /** Serves `prefix` (and everything under it) before Fastify; `ownRoutes` are the mount's Fastify routes. */
  add(prefix: string, ownRoutes: readonly string[], serve: LaneServe): void {
    this.lanes.push({ prefix: `${prefix}/*`, segments: segmentsOf(prefix), ownRoutes: new Set(ownRoutes), shadows: [], serve });
    if (this.fastify) return;
    const server = this.instance.server as unknown as EventEmitter;
    const listeners = server.listeners('request') as RequestListener[];
    const [fastify] = listeners;
    if (listeners.length !== 1 || !fastify) throw new Error('fast lane: expected Fastify to be the only request listener of the server');
    server.removeListener('request', fastify);
    server.on('request', this.onRequest);
    this.fastify = fastify;
  }

  private readonly onRequest = (request: RawRequest, response: RawResponse): void => {
    const lane = this.laneOf(request.url ?? '');
    if (lane) this.serve(lane, request, response);
    else this.fastify?.(request, response);
  };

  private laneOf(url: string): Lane | undefined {
    const pathEnd = pathEndOf(url);
    const percent = url.indexOf('%');
    // find-my-way decodes (and may refuse, 400) percent-encoded paths: left to it.
    if (percent !== -1 && percent < pathEnd) return undefined;
    for (const lane of this.lanes) {
      if (!matches(lane.segments, url, pathEnd, false)) continue;
      for (const shadow of lane.shadows) if (matches(shadow, url, pathEnd, true)) return undefined;
      return lane;
    }
    return undefined;
  }

  private serve(lane: Lane, request: RawRequest, response: RawResponse): void {
    const requestId = resolveRequestId(request.headers[REQUEST_ID_HEADER]);
    response.setHeader(REQUEST_ID_HEADER, requestId);
    if (this.closing) {
      this.refuse(request, response, requestId);
      return;
    }
    if (this.logger.isLevelEnabled('debug')) this.summarise(request, response, requestId);
    if (this.metrics) this.measure(lane, request, response);
    lane.serve(request, response, requestId).catch(this.onServeFailure);
  }

  private refuse(request: RawRequest, response: RawResponse, requestId: string): void {
    // HTTP/2 has no Connection header (Node drops it with a warning); the stream just ends.
    if (request.httpVersionMajor !== 2) response.setHeader('connection', 'close');
    response.statusCode = 503;
    response.setHeader('content-type', 'application/json');
    response.setHeader('content-length', String(CLOSING_BODY.length));
    response.end(CLOSING_BODY);
    this.logger.info({ request_id: requestId, res: { statusCode: 503 } }, 'request aborted - refusing to accept new requests as server is closing');
  }

  /** What Fastify's onResponse hook records for its own routes; `close` also covers an aborted stream. */
  private measure(lane: Lane, request: RawRequest, response: RawResponse): void {
    const started = performance.now();
    const metrics = this.metrics;
    response.once('close', () => metrics?.observe(request.method ?? 'GET', lane.prefix, response.statusCode, (performance.now() - started) / 1000));
  }

  /** The per-request debug line Fastify's onResponse hook writes for its own routes. */
  private summarise(request: RawRequest, response: RawResponse, requestId: string): void {
    const started = performance.now();
    const { method } = request;
    // The path only: query strings can carry codes and tokens.
    const url = request.url ?? '';
    const path = url.slice(0, pathEndOf(url));
    response.once('finish', () => {
      this.logger.debug({ request_id: requestId, method, path, status: response.statusCode, ms: Math.round(performance.now() - started) }, 'request');
    });
  }

  private readonly onServeFailure = (error: unknown): void => {
    this.logger.error({ err: error }, 'fast lane: answering a failed raw handler failed');
  };
}
