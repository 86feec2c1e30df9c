import type { FastifyInstance } from 'fastify';
import { SCIM_CONTENT_TYPE } from '@airlock/contracts';

/** RFC 7644 §3.1: clients send `application/scim+json`; it is parsed exactly like JSON (same limits, same errors). */
export function registerScimContentType(fastify: FastifyInstance): void {
  if (fastify.hasContentTypeParser(SCIM_CONTENT_TYPE)) return;
  fastify.addContentTypeParser(SCIM_CONTENT_TYPE, { parseAs: 'string' }, fastify.getDefaultJsonParser('error', 'error'));
}
