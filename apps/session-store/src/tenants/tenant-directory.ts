import type { Pool } from 'pg';

export class UnknownTenantError extends Error {
  constructor(readonly slug: string) {
    super(`no tenant with slug ${slug}`);
    this.name = 'UnknownTenantError';
  }
}

/** Tenant slug (what URLs, tokens and events carry) to row id (what durable rows reference), cached. */
export class TenantDirectory {
  private readonly ids = new Map<string, string>();

  constructor(private readonly pg: Pool) {}

  async idOf(slug: string): Promise<string> {
    const cached = this.ids.get(slug);
    if (cached) return cached;
    const { rows } = await this.pg.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug]);
    const id = rows[0]?.id;
    if (!id) throw new UnknownTenantError(slug);
    this.ids.set(slug, id);
    return id;
  }
}
