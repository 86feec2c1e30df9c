import { Body, Controller, Delete, Get, HttpCode, HttpException, Inject, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import {
  createSessionRequestSchema,
  listSessionsQuerySchema,
  revokeSessionRequestSchema,
  revokeSessionsRequestSchema,
  Scopes,
  sessionIdSchema,
  tenantSlugSchema,
  touchSessionsRequestSchema,
  updateSessionRequestSchema,
} from '@airlock/contracts';
import type { Session } from '@airlock/contracts';
import { CallerAuth, notFound } from '../auth/caller-auth.js';
import type { Caller } from '../auth/caller-auth.js';
import { SessionsError } from './sessions.exception.js';
import { SessionsService } from './sessions.service.js';
import type { Actor } from './sessions.service.js';

/**
 * `/v1/t/<tenant>/sessions`: every session of a tenant, MCP and login alike. Every input is validated by
 * the contracts' zod schemas; errors are `{ error, error_description }` with the matching status.
 */
@Controller('v1/t/:tenant/sessions')
export class SessionsController {
  constructor(
    @Inject(SessionsService) private readonly sessions: SessionsService,
    @Inject(CallerAuth) private readonly auth: CallerAuth,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Param('tenant') tenant: string, @Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Session> {
    const caller = await this.caller(req, reply, tenant, Scopes.sessionsWrite);
    const request = parse(createSessionRequestSchema, body);
    return run(() => this.sessions.create(caller.tenant, request, actorOf(caller)));
  }

  @Get()
  async list(@Param('tenant') tenant: string, @Query() query: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const caller = await this.caller(req, reply, tenant, Scopes.sessionsRead);
    const { cursor, limit, ...filter } = parse(listSessionsQuerySchema, query);
    return run(() => this.sessions.list(caller.tenant, filter, { limit, cursor }));
  }

  /** Batched touches: `{ ids }` in, `{ live }` out. */
  @Post('touch')
  @HttpCode(200)
  async touchMany(@Param('tenant') tenant: string, @Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const caller = await this.caller(req, reply, tenant, Scopes.sessionsWrite);
    const { ids } = parse(touchSessionsRequestSchema, body);
    return { live: await run(() => this.sessions.touch(caller.tenant, ids)) };
  }

  /** Ends every session of one subject, client or grant. */
  @Post('revoke')
  @HttpCode(200)
  async revokeMany(@Param('tenant') tenant: string, @Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const caller = await this.caller(req, reply, tenant, Scopes.sessionsAdmin);
    const request = parse(revokeSessionsRequestSchema, body);
    const [kind, value] = request.subject ? (['subject', request.subject] as const) : request.clientId ? (['client', request.clientId] as const) : (['grant', request.grantId ?? ''] as const);
    return { revoked: await run(() => this.sessions.revokeBy(caller.tenant, kind, value, request.reason, actorOf(caller))) };
  }

  @Get(':id')
  async get(@Param('tenant') tenant: string, @Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Session> {
    const caller = await this.caller(req, reply, tenant, Scopes.sessionsRead);
    return run(() => this.sessions.get(caller.tenant, sessionId(id)));
  }

  @Post(':id/touch')
  @HttpCode(204)
  async touch(@Param('tenant') tenant: string, @Param('id') id: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const caller = await this.caller(req, reply, tenant, Scopes.sessionsWrite);
    const live = await run(() => this.sessions.touch(caller.tenant, [sessionId(id)]));
    if (live.length === 0) throw notFound();
  }

  @Patch(':id')
  async update(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<Session> {
    const caller = await this.caller(req, reply, tenant, Scopes.sessionsWrite);
    const patch = parse(updateSessionRequestSchema, body);
    return run(() => this.sessions.update(caller.tenant, sessionId(id), patch));
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(
    @Param('tenant') tenant: string,
    @Param('id') id: string,
    @Body() body: unknown,
    @Req() req: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<void> {
    const caller = await this.caller(req, reply, tenant, Scopes.sessionsWrite);
    const { reason } = parse(revokeSessionRequestSchema, body ?? {});
    await run(() => this.sessions.revoke(caller.tenant, sessionId(id), reason, actorOf(caller)));
  }

  private caller(req: FastifyRequest, reply: FastifyReply, tenant: string, scope: Parameters<CallerAuth['authenticate']>[3]): Promise<Caller> {
    // An impossible tenant slug cannot have sessions: the same 404 as any other unknown path.
    if (!tenantSlugSchema.safeParse(tenant).success) throw notFound();
    return this.auth.authenticate(req, reply, tenant, scope);
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const description = result.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
  throw new HttpException({ error: 'invalid_request', error_description: description }, 400);
}

/** A malformed id cannot name a session. */
function sessionId(id: string): string {
  if (!sessionIdSchema.safeParse(id).success) throw notFound();
  return id;
}

const actorOf = (caller: Caller): Actor => ({ subject: caller.subject, clientId: caller.clientId, requestId: caller.requestId });

const statusOf = { not_found: 404, temporarily_unavailable: 503, invalid_request: 400 } as const;

async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof SessionsError) throw new HttpException({ error: error.code, error_description: error.description }, statusOf[error.code], { cause: error });
    throw error;
  }
}
