import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { TenantNotFound } from '../tenants/tenant-resolver.js';
import { messagePage } from './interaction-views.js';
import { sendHtml } from './page-headers.js';

/** HTML pages (login, consent, account): an unknown tenant is the plain 404 page. */
@Catch(TenantNotFound)
export class TenantNotFoundPageFilter implements ExceptionFilter {
  catch(_error: TenantNotFound, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    reply.hijack();
    sendHtml(reply.raw, 404, messagePage({ tenantName: 'Airlock', title: 'Not found', message: 'There is no such organisation here.' }));
  }
}
