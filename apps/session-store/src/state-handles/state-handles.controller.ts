import { Body, Controller, Delete, Get, HttpCode, HttpException, Inject, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Scopes, stateHandleIdSchema, stateHandleSchema, tenantSlugSchema } from '@airlock/contracts';
import type { StateHandle } from '@airlock/contracts';
import { CallerAuth, notFound } from '../auth/caller-auth.js';
import type { Caller } from '../auth/caller-auth.js';
import { StateHandlesError } from './state-handles.exception.js';
import { StateHandlesService } from './state-handles.service.js';

/**
 * `/v1/t/<tenant>/state-handles`: the gateway's state handles. A handle is addressed as
 * `<subject>:<handle>` (one URL-encoded path segment); it is created once (409 on a duplicate), read, and
 * consumed by DELETE, which answers the record it removed (200) so exactly one retry can redeem it.
 */
@Controller('v1/t/:tenant/state-handles')
export class StateHandlesController {
  constructor(
    @Inject(StateHandlesService) private readonly handles: StateHandlesService,
    @Inject(CallerAuth) private readonly auth: CallerAuth,
  ) {}

  @Post()
  @HttpCode(201)
  async create(@Param('tenant') tenant: string, @Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<StateHandle> {
    const caller = await this.caller(req, reply, tenant, Scopes.sessionsWrite);
    const result = stateHandleSchema.safeParse(body);
    if (!result.success) {
      const description = result.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message)).join('; ');
      throw new HttpException({ error: 'invalid_request', error_description: description }, 400);
    }
    return run(() => this.handles.create(caller.tenant, result.data));
  }

  @Get(':key')
  async get(@Param('tenant') tenant: string, @Param('key') key: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<StateHandle> {
    const caller = await this.caller(req, reply, tenant, Scopes.sessionsRead);
    const { subject, handle } = handleKey(key);
    return run(() => this.handles.get(caller.tenant, subject, handle));
  }

  @Delete(':key')
  @HttpCode(200)
  async consume(@Param('tenant') tenant: string, @Param('key') key: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<StateHandle> {
    const caller = await this.caller(req, reply, tenant, Scopes.sessionsWrite);
    const { subject, handle } = handleKey(key);
    return run(() => this.handles.consume(caller.tenant, subject, handle));
  }

  private caller(req: FastifyRequest, reply: FastifyReply, tenant: string, scope: Parameters<CallerAuth['authenticate']>[3]): Promise<Caller> {
    if (!tenantSlugSchema.safeParse(tenant).success) throw notFound();
    return this.auth.authenticate(req, reply, tenant, scope);
  }
}

/** `<subject>:<handle>`; the handle has no colon, the subject may. A malformed key cannot name a handle: 404. */
function handleKey(key: string): { subject: string; handle: string } {
  const at = key.lastIndexOf(':');
  const subject = key.slice(0, Math.max(at, 0));
  const handle = key.slice(at + 1);
  if (at <= 0 || !stateHandleIdSchema.safeParse(handle).success) throw new HttpException({ error: 'not_found', error_description: 'no such state handle' }, 404);
  return { subject, handle };
}

const statusOf = { not_found: 404, conflict: 409, invalid_request: 400, temporarily_unavailable: 503 } as const;

async function run<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof StateHandlesError) throw new HttpException({ error: error.code, error_description: error.description }, statusOf[error.code], { cause: error });
    throw error;
  }
}
