import { applyDecorators, createParamDecorator, Header, HttpCode, RequestMapping, RequestMethod, UseGuards, type ExecutionContext } from '@nestjs/common';
import { SCIM_CONTENT_TYPE, SCIM_PATH_PREFIX } from '@airlock/contracts';
import { ScimAuthGuard, type ScimCaller, type ScimRequest } from './scim-auth.js';
import { ScimFailure } from './scim.errors.js';

/** A SCIM endpoint below `/scim/v2/t/:tenant`: behind the tenant's bearer token, answering application/scim+json. */
export function ScimRoute(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, status: 200 | 201 | 204 = 200): MethodDecorator {
  return applyDecorators(
    RequestMapping({ path: `${SCIM_PATH_PREFIX}/:tenant/${path}`, method: RequestMethod[method] }),
    HttpCode(status),
    ...(status === 204 ? [] : [Header('content-type', `${SCIM_CONTENT_TYPE}; charset=utf-8`)]),
    Header('cache-control', 'no-store'),
    UseGuards(ScimAuthGuard),
  );
}

/** The authenticated SCIM caller (set by ScimAuthGuard). */
export const Caller = createParamDecorator((_data: unknown, context: ExecutionContext): ScimCaller => {
  const caller = context.switchToHttp().getRequest<ScimRequest>().scimCaller;
  if (!caller) throw new ScimFailure(401, undefined, 'a valid SCIM bearer token for this tenant is required');
  return caller;
});
