import { Queues } from '@airlock/contracts';
import type { AuditEvent, CreateSessionRequest, Session, SessionEndedEvent, UpdateSessionRequest } from '@airlock/contracts';
import type { QueueBackend } from '@airlock/queue';
import type { Logger } from '@airlock/observability';
import type { AuditRecorder } from '../audit/audit-recorder.js';
import { jobIdOf } from '../audit/audit-recorder.js';
import { SessionJobs } from '../jobs/session-jobs.js';
import type { UpsertJob } from '../jobs/session-jobs.js';
import type { SessionDurableRepository } from './session-durable.repository.js';
import type { SessionEventsPublisher } from './session-events.publisher.js';
import { hotTtlMs } from './session-hot.repository.js';
import type { HotSession, SessionHotRepository } from './session-hot.repository.js';
import { generateSessionId } from './session-id.js';
import type { SessionIndexKind } from './session-keys.js';
import { SessionsError } from './sessions.exception.js';
import type { TouchBatcher } from './touch-batcher.js';

export interface Actor {
  subject?: string;
  clientId?: string;
  requestId?: string;
}

/** Limits for a session whose creator names none, per kind (from config: MCP_SESSION_*, LOGIN_SESSION_*). */
export interface SessionDefaults {
  mcp: { idleSeconds: number; maxSeconds: number };
  login: { idleSeconds: number; maxSeconds: number };
}

export interface SessionsServiceDeps {
  hot: SessionHotRepository;
  durable: SessionDurableRepository;
  queues: QueueBackend;
  events: SessionEventsPublisher;
  audit: AuditRecorder;
  touches: TouchBatcher;
  logger: Logger;
  defaults: SessionDefaults;
  now?: () => number;
}

/**
 * Session lifecycle. The request path reads and writes only the hot store; Postgres is written by job
 * workers from queued snapshots, so an outage of Postgres delays history, never a request.
 */
export class SessionsService {
  private readonly now: () => number;
  private readonly defaults: SessionDefaults;

  constructor(private readonly deps: SessionsServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.defaults = deps.defaults;
  }

  async create(tenant: string, request: CreateSessionRequest, actor: Actor): Promise<Session> {
    const now = this.now();
    const limits = this.defaults[request.kind];
    const idle = request.idleTimeoutSeconds ?? limits.idleSeconds;
    const lifetime = request.lifetimeSeconds ?? limits.maxSeconds;
    const session: Session = {
      id: generateSessionId(),
      tenant,
      kind: request.kind,
      subject: request.subject,
      clientId: request.clientId,
      ...(request.grantId ? { grantId: request.grantId } : {}),
      ...(request.protocolVersion ? { protocolVersion: request.protocolVersion } : {}),
      ...(request.clientInfo ? { clientInfo: request.clientInfo } : {}),
      ...(request.capabilities ? { capabilities: request.capabilities } : {}),
      upstreams: request.upstreams ?? [],
      createdAt: new Date(now).toISOString(),
      lastSeenAt: new Date(now).toISOString(),
      idleTimeoutSeconds: idle,
      expiresAt: new Date(now + lifetime * 1000).toISOString(),
      state: 'active',
    };
    const hot: HotSession = { session, version: 1 };
    await unavailableOnFailure('sessions cannot be created right now', async () => {
      // A caller that has not yet heard of a grant revocation (up to a second) must not open a session that outlives it.
      if (request.grantId && (await this.deps.hot.isGrantRevoked(tenant, request.grantId))) {
        throw new SessionsError('invalid_request', 'the grant of this session has been revoked');
      }
      if (await this.deps.hot.isClientRevoked(tenant, request.clientId, request.tokenIssuedAt)) {
        throw new SessionsError('invalid_request', 'the client of this session has been revoked');
      }
      await this.deps.hot.put(hot, hotTtlMs(session, now));
    });
    try {
      await this.enqueueSnapshot(hot, 'v1');
    } catch (error) {
      // Without its durable write queued the session would vanish from history: refuse it instead.
      await this.deps.hot.remove([session]).catch(() => undefined);
      throw new SessionsError('temporarily_unavailable', 'sessions cannot be created right now', { cause: error });
    }
    this.deps.logger.debug({ tenant, kind: session.kind, clientId: session.clientId, actor: actor.clientId }, 'session created');
    return session;
  }

  /** One hot-store round trip; a session that is not live is not found. */
  async get(tenant: string, id: string): Promise<Session> {
    const hot = await unavailableOnFailure('sessions cannot be read right now', () => this.deps.hot.get(tenant, id));
    if (!hot || Date.parse(hot.session.expiresAt) <= this.now()) throw notFound();
    return hot.session;
  }

  /** Marks sessions as used: one hot-store read now, the TTL extension batched. Returns the live ids. */
  async touch(tenant: string, ids: readonly string[]): Promise<string[]> {
    const records = await unavailableOnFailure('sessions cannot be touched right now', () => this.deps.hot.getMany(tenant, ids));
    const now = this.now();
    const seenAt = new Date(now).toISOString();
    const live: string[] = [];
    for (const hot of records) {
      if (!hot) continue;
      const ttlMs = hotTtlMs(hot.session, now);
      if (ttlMs <= 0) continue;
      this.deps.touches.touch({ tenant, id: hot.session.id, ttlMs, seenAt });
      live.push(hot.session.id);
    }
    return live;
  }

  /** Changes what the gateway may change after create: bindings to upstream sessions, negotiated details. */
  async update(tenant: string, id: string, patch: UpdateSessionRequest): Promise<Session> {
    const current = await unavailableOnFailure('sessions cannot be updated right now', () => this.deps.hot.get(tenant, id));
    if (!current) throw notFound();
    const next: HotSession = {
      version: current.version + 1,
      session: {
        ...current.session,
        ...(patch.upstreams ? { upstreams: patch.upstreams } : {}),
        ...(patch.protocolVersion ? { protocolVersion: patch.protocolVersion } : {}),
        ...(patch.clientInfo ? { clientInfo: patch.clientInfo } : {}),
        ...(patch.capabilities ? { capabilities: patch.capabilities } : {}),
      },
    };
    const replaced = await unavailableOnFailure('sessions cannot be updated right now', () => this.deps.hot.replace(next));
    if (!replaced) throw notFound();
    await unavailableOnFailure('sessions cannot be updated right now', () => this.enqueueSnapshot(next, `v${next.version}`));
    return next.session;
  }

  async revoke(tenant: string, id: string, reason: string, actor: Actor): Promise<void> {
    const hot = await unavailableOnFailure('sessions cannot be revoked right now', () => this.deps.hot.get(tenant, id));
    if (!hot) throw notFound();
    await this.end([hot], 'revoked', reason, actor);
  }

  /** Ends every live session of a subject, client or grant; returns how many. */
  async revokeBy(tenant: string, kind: SessionIndexKind, value: string, reason: string, actor: Actor): Promise<number> {
    return unavailableOnFailure('sessions cannot be revoked right now', async () => {
      const ids = await this.deps.hot.members(tenant, kind, value);
      if (ids.length === 0) return 0;
      const records = await this.deps.hot.getMany(tenant, ids);
      const live = records.filter((hot): hot is HotSession => hot !== null);
      const gone = ids.filter((_, index) => records[index] === null);
      if (gone.length > 0) await this.deps.hot.dropFromIndex(tenant, kind, value, gone);
      await this.end(live, 'revoked', reason, actor);
      return live.length;
    });
  }

  async list(
    tenant: string,
    filter: { subject?: string | undefined; clientId?: string | undefined; grantId?: string | undefined; state?: Session['state'] | undefined },
    page: { limit: number; cursor?: string | undefined },
  ): Promise<{ items: Session[]; nextCursor: string | null }> {
    const after = page.cursor ? decodeCursor(page.cursor) : undefined;
    const rows = await unavailableOnFailure('sessions cannot be listed right now', () => this.deps.durable.list(tenant, filter, { limit: page.limit + 1, after }));
    const items = rows.slice(0, page.limit);
    // Durable last-seen lags by up to a flush period; the live record knows better.
    const live = await this.deps.hot.getMany(tenant, items.filter((s) => s.state === 'active').map((s) => s.id)).catch((): Array<HotSession | null> => []);
    const liveById = new Map(live.filter((hot): hot is HotSession => hot !== null).map((hot) => [hot.session.id, hot.session]));
    const merged = items.map((session) => {
      const current = liveById.get(session.id);
      return current && current.lastSeenAt > session.lastSeenAt ? { ...session, lastSeenAt: current.lastSeenAt } : session;
    });
    const last = items[items.length - 1];
    return { items: merged, nextCursor: rows.length > page.limit && last ? encodeCursor(last) : null };
  }

  /**
   * Ends sessions: the live records go first (so every gateway sees it at once), then the announcements,
   * durable snapshots and audit events are queued. Safe to run twice (job retries): a session already
   * gone from the hot store is simply not in `sessions` the second time.
   */
  async end(sessions: readonly HotSession[], state: 'revoked' | 'expired', reason: string, actor: Actor): Promise<void> {
    if (sessions.length === 0) return;
    const endedAt = new Date(this.now()).toISOString();
    await this.deps.hot.remove(sessions.map((hot) => hot.session));
    const type = state === 'revoked' ? 'session.revoked' : 'session.expired';
    const events: SessionEndedEvent[] = sessions.map((hot) => ({ type, tenant: hot.session.tenant, sessionId: hot.session.id, reason, at: endedAt }));
    await this.deps.events.ended(events);
    await Promise.all(
      sessions.map((hot) => this.enqueueSnapshot({ version: hot.version + 1, session: { ...hot.session, state, endedReason: reason, endedAt } }, 'ended')),
    );
    if (state === 'revoked') await this.auditRevocations(sessions.map((hot) => hot.session), reason, actor, endedAt);
  }

  /** One audit record per ended session; the id is derived from the session, so a rerun records once. */
  async auditRevocations(sessions: ReadonlyArray<Pick<Session, 'id' | 'tenant' | 'subject' | 'clientId' | 'grantId'>>, reason: string, actor: Actor, at: string): Promise<void> {
    const audits: AuditEvent[] = sessions.map((session) => ({
      id: `session.revoked.${session.id}`,
      tenant: session.tenant,
      occurredAt: at,
      actor: { ...(actor.subject ? { subject: actor.subject } : {}), ...(actor.clientId ? { clientId: actor.clientId } : {}) },
      action: 'session.revoke',
      target: `session:${session.id}`,
      outcome: 'success',
      ...(actor.requestId ? { requestId: actor.requestId } : {}),
      details: { reason, subject: session.subject, clientId: session.clientId, ...(session.grantId ? { grantId: session.grantId } : {}) },
    }));
    await this.deps.audit.record(audits);
  }

  private enqueueSnapshot(hot: HotSession, tag: string): Promise<void> {
    return this.deps.queues.enqueue<UpsertJob>(Queues.sessions, SessionJobs.upsert, { session: hot.session, version: hot.version }, { jobId: jobIdOf(`upsert.${hot.session.id}.${tag}`) });
  }
}

const notFound = () => new SessionsError('not_found', 'no such session');

async function unavailableOnFailure<T>(description: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SessionsError) throw error;
    throw new SessionsError('temporarily_unavailable', description, { cause: error });
  }
}

function encodeCursor(session: Session): string {
  return Buffer.from(JSON.stringify([session.createdAt, session.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: string; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string' && !Number.isNaN(Date.parse(value[0]))) {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // fall through
  }
  throw new SessionsError('invalid_request', 'cursor is not valid');
}
