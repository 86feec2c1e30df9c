import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { BenchRow } from '../harness/report.js';
import { seedSessions, seedUsers } from '../harness/seed.js';
import { closedLoop } from '../harness/stats.js';
import type { ScenarioContext } from './scenario.js';

const CONCURRENCY = 4;
const PAGE = 50;
/** What an operator's list or search page must stay under at p95 (issue 14's goal). */
const GOAL_P95_MS = 100;

interface ListOperation {
  name: string;
  /** One admin API request (path below /admin/v1), built per call so a page can be picked at random. */
  apiPath: () => string;
  /** The same rows straight from Postgres, through the index the API's query is meant to use. */
  bare: (db: pg.Pool) => Promise<unknown>;
}

/**
 * Scenario 7: an operator's list and search pages in a tenant of 10,000 users and 100,000 live MCP sessions
 * (quick: 1,000 and 10,000), through the admin API (token check, validation, query, JSON), against the
 * bare indexed query for the same rows in the same run. Rows are seeded in bulk with SQL (the API would
 * take minutes for 110,000 rows and is not what is measured). Goal: p95 of every page under 100 ms.
 */
export async function adminLists(context: ScenarioContext): Promise<BenchRow[]> {
  const platform = context.platform;
  if (!platform) return [];
  const users = context.quick ? 1_000 : 10_000;
  const sessions = context.quick ? 10_000 : 100_000;
  const slug = `bench-lists-${randomBytes(3).toString('hex')}`;
  const created = await platform.admin('POST', '/tenants', { slug, displayName: 'Bench lists' });
  if (created.status !== 201) throw new Error(`creating tenant ${slug}: ${created.status} ${JSON.stringify(created.json)}`);

  const db = new pg.Pool({ connectionString: platform.databaseUrl, max: CONCURRENCY });
  try {
    const { rows } = await db.query<{ id: string }>('SELECT id FROM tenants WHERE slug = $1', [slug]);
    const tenantId = rows[0]!.id;
    await seedUsers(db, tenantId, users);
    await seedSessions(db, platform.redisUrl, { id: tenantId, slug }, sessions, users);
    await db.query('ANALYZE users; ANALYZE sessions');

    // Every page's cursor, walked once through the API: "any page" picks one at random.
    const cursorsOf = async (path: string) => {
      const cursors: string[] = [];
      let next: string | null = null;
      do {
        const response = await platform.admin('GET', `${path}${path.includes('?') ? '&' : '?'}limit=200${next ? `&cursor=${next}` : ''}`);
        if (response.status !== 200) throw new Error(`walking ${path}: ${response.status} ${JSON.stringify(response.json)}`);
        next = (response.json['nextCursor'] as string | null) ?? null;
        if (next) cursors.push(next);
      } while (next);
      return cursors;
    };
    const userCursors = await cursorsOf(`/tenants/${slug}/users`);
    const sessionCursors = await cursorsOf(`/tenants/${slug}/sessions`);
    const any = (cursors: string[]) => cursors[Math.floor(Math.random() * cursors.length)]!;
    const randomSubject = () => `subject-${Math.floor(Math.random() * users)}`;
    const randomClient = () => `client-${Math.floor(Math.random() * 50)}`;
    const decode = (cursor: string) => Buffer.from(cursor, 'base64url').toString('utf8');
    // Emails are user-000001 .. : five digits name ten users.
    const narrowPrefix = () => `user-${String(Math.floor(Math.random() * (users / 10))).padStart(5, '0')}`;
    const broadPrefix = () => `bench user ${1 + Math.floor(Math.random() * 9)}`;
    const userSearch = `SELECT id, email, display_name FROM users WHERE tenant_id = $1 AND (lower(email) LIKE $2 || '%' OR lower(display_name) LIKE $2 || '%')`;
    const activeSessions = `SELECT id, subject, client_id, upstreams, protocol_version, created_at, last_seen_at, expires_at FROM sessions
       WHERE tenant_id = $1 AND kind = 'mcp' AND state = 'active' AND expires_at > now()`;

    const operations: ListOperation[] = [
      {
        name: 'users, first page',
        apiPath: () => `/tenants/${slug}/users?limit=${PAGE}`,
        bare: (pool) => pool.query('SELECT id, email, display_name FROM users WHERE tenant_id = $1 ORDER BY email LIMIT $2', [tenantId, PAGE + 1]),
      },
      {
        name: 'users, any page',
        apiPath: () => `/tenants/${slug}/users?limit=${PAGE}&cursor=${any(userCursors)}`,
        bare: (pool) => pool.query('SELECT id, email, display_name FROM users WHERE tenant_id = $1 AND email > $2 ORDER BY email LIMIT $3', [tenantId, decode(any(userCursors)), PAGE + 1]),
      },
      {
        // A narrow prefix (about ten users) and a broad one (about a ninth of them, one page shown).
        name: 'users, search by email prefix',
        apiPath: () => `/tenants/${slug}/users?limit=${PAGE}&q=${narrowPrefix()}`,
        bare: (pool) => pool.query(`${userSearch} ORDER BY email LIMIT $3`, [tenantId, narrowPrefix(), PAGE + 1]),
      },
      {
        name: 'users, search by name prefix',
        apiPath: () => `/tenants/${slug}/users?limit=${PAGE}&q=${encodeURIComponent(broadPrefix())}`,
        bare: (pool) => pool.query(`${userSearch} ORDER BY email LIMIT $3`, [tenantId, broadPrefix(), PAGE + 1]),
      },
      {
        name: 'sessions, first page',
        apiPath: () => `/tenants/${slug}/sessions?limit=${PAGE}`,
        bare: (pool) => pool.query(`${activeSessions} ORDER BY created_at, id LIMIT $2`, [tenantId, PAGE + 1]),
      },
      {
        name: 'sessions, any page',
        apiPath: () => `/tenants/${slug}/sessions?limit=${PAGE}&cursor=${any(sessionCursors)}`,
        bare: (pool) => {
          const [createdAt, id] = decode(any(sessionCursors)).split(' ');
          return pool.query(`${activeSessions} AND (created_at, id) > ($2::timestamptz, $3) ORDER BY created_at, id LIMIT $4`, [tenantId, createdAt, id, PAGE + 1]);
        },
      },
      {
        name: "sessions of one user",
        apiPath: () => `/tenants/${slug}/sessions?limit=${PAGE}&subject=${randomSubject()}`,
        bare: (pool) => pool.query(`${activeSessions} AND subject = $2 ORDER BY created_at, id LIMIT $3`, [tenantId, randomSubject(), PAGE + 1]),
      },
      {
        name: 'sessions of one client',
        apiPath: () => `/tenants/${slug}/sessions?limit=${PAGE}&client=${randomClient()}`,
        bare: (pool) => pool.query(`${activeSessions} AND client_id = $2 ORDER BY created_at, id LIMIT $3`, [tenantId, randomClient(), PAGE + 1]),
      },
    ];

    const durationMs = Math.min(context.roundMs, 3_000);
    const measure = async (operation: () => Promise<void>) => {
      await closedLoop({ concurrency: CONCURRENCY, durationMs: Math.min(context.warmupMs, 500), operation });
      const { latency, throughput, errors } = await closedLoop({ concurrency: CONCURRENCY, durationMs, operation });
      return { throughput, errors, ...latency };
    };

    // The auth server's admin path compiled hot before the first timed page (else that page pays the JIT).
    await closedLoop({
      concurrency: CONCURRENCY,
      durationMs: context.warmupMs,
      operation: async (worker) => {
        await platform.admin('GET', operations[worker % operations.length]!.apiPath());
      },
    });
    const scenario = `admin list pages, ${users.toLocaleString('en')} users and ${sessions.toLocaleString('en')} sessions in one tenant, ${CONCURRENCY} concurrent`;
    const result: BenchRow[] = [];
    for (const operation of operations) {
      const bare = await measure(async () => {
        await operation.bare(db);
      });
      const api = await measure(async () => {
        const response = await platform.admin('GET', operation.apiPath());
        if (response.status !== 200) throw new Error(`${operation.name}: ${response.status}`);
      });
      result.push(
        { scenario, variant: `${operation.name}: bare indexed query`, baseline: '(baseline)', throughput: bare.throughput, p50: bare.p50, p99: bare.p99, ratio: null, extra: { p95: bare.p95, errors: bare.errors } },
        {
          scenario,
          variant: `${operation.name}: admin API`,
          baseline: `${operation.name}: bare indexed query`,
          throughput: api.throughput,
          p50: api.p50,
          p99: api.p99,
          ratio: api.p95 / bare.p95,
          ratioOf: 'p95 over baseline p95',
          extra: { p95: api.p95, goalP95Ms: GOAL_P95_MS, goalMet: api.p95 < GOAL_P95_MS ? 'yes' : 'no', errors: api.errors },
        },
      );
    }
    return result;
  } finally {
    await db.end();
  }
}
