import { Controller, Get, Inject, Param, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { AuthServerConfig } from '@airlock/config';
import { AUTH_CONFIG } from '../infra/infra.tokens.js';
import { ADMIN_CONSOLE_CLIENT_ID, ADMIN_CONSOLE_PATH, adminConsoleRedirectUri } from '../oidc/admin-console-client.js';
import { adminApiAudience } from '../oidc/resource-catalog.service.js';
import { ADMIN_TENANT_SLUG } from '../tenants/tenant.repository.js';
import { CONSOLE_DIST, readConsoleFile } from './console-files.js';

/**
 * The console's CSP: its own scripts and styles only (no inline script or style element), API calls to
 * this origin only, never framed.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONSOLE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

/**
 * The admin web console under `/console`: its built files, its sign-in settings (`config.json`, derived
 * from the configured public URL), and `index.html` for every other path (the client's routes).
 */
@Controller()
export class ConsoleController {
  constructor(@Inject(AUTH_CONFIG) private readonly config: AuthServerConfig) {}

  @Get(`${ADMIN_CONSOLE_PATH.slice(1)}/config.json`)
  settings(@Res() reply: FastifyReply): void {
    const publicUrl = this.config.publicUrl.replace(/\/+$/, '');
    const body = {
      issuer: `${publicUrl}/t/${ADMIN_TENANT_SLUG}`,
      clientId: ADMIN_CONSOLE_CLIENT_ID,
      redirectUri: adminConsoleRedirectUri(publicUrl),
      resource: adminApiAudience(publicUrl),
      apiBase: adminApiAudience(publicUrl),
      scope: 'admin',
    };
    void reply.headers({ ...CONSOLE_HEADERS, 'cache-control': 'no-store' }).type('application/json; charset=utf-8').send(body);
  }

  @Get([ADMIN_CONSOLE_PATH.slice(1), `${ADMIN_CONSOLE_PATH.slice(1)}/*`])
  async file(@Param('*') path: string | undefined, @Res() reply: FastifyReply): Promise<void> {
    const relative = (path ?? '').replace(/^\/+/, '');
    // An asset path that does not exist is a 404; any other path is a client route (index.html).
    const file = (relative && (await readConsoleFile(CONSOLE_DIST, relative))) || (relative.startsWith('assets/') ? undefined : await readConsoleFile(CONSOLE_DIST, 'index.html'));
    void reply.headers(CONSOLE_HEADERS);
    if (!file) {
      void reply.code(404).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(relative.startsWith('assets/') ? 'not found' : 'The admin console is not built: run `npm run build`.');
      return;
    }
    void reply
      .header('cache-control', file.immutable ? 'public, max-age=31536000, immutable' : 'no-store')
      .type(file.type)
      .send(file.body);
  }
}
