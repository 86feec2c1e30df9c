import { describe, expect, it } from 'vitest';
import { tenantSlugSchema } from '@airlock/contracts';
import { parseRoute } from './edge-request.js';

describe('parseRoute', () => {
  it('takes the aggregated and per-server endpoints, ignoring the query', () => {
    expect(parseRoute('/t/acme/mcp')).toEqual({ tenant: 'acme', target: { kind: 'aggregated' } });
    expect(parseRoute('/t/acme/mcp?x=1')).toEqual({ tenant: 'acme', target: { kind: 'aggregated' } });
    expect(parseRoute('/t/acme/servers/notes/mcp?a=b?c')).toEqual({ tenant: 'acme', target: { kind: 'server', server: 'notes' } });
    for (const path of ['/t/acme', '/t/acme/mcp/', '/t//mcp', '/x/acme/mcp', '/t/acme/servers//mcp', '/t/acme/mcp#frag']) expect(parseRoute(path), path).toBeUndefined();
  });

  // The route checks the contracts' pattern without zod: it must agree with tenantSlugSchema on every slug.
  it('accepts exactly the tenant slugs tenantSlugSchema accepts', () => {
    const slugs = ['a', 'acme', 'a-b', '0', 'a'.repeat(63), 'a'.repeat(64), '-a', 'a-', 'A', 'acme corp', 'a_b', 'é', 'a.b', '%61', 'a\n'];
    for (const slug of slugs) {
      expect(parseRoute(`/t/${slug}/mcp`) !== undefined, JSON.stringify(slug)).toBe(tenantSlugSchema.safeParse(slug).success);
    }
  });
});
