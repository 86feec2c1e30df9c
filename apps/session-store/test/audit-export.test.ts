import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionStoreConfigSchema } from '@airlock/config';
import type { Session } from '@airlock/contracts';
import { createPgPool } from '@airlock/db';
import { createTestDatabase, createTestLogger } from '@airlock/testing';
import type { TestDatabase } from '@airlock/testing';
import { AuditExporter } from '../src/audit-export/audit-exporter.js';
import { createAuditExporter } from '../src/audit-export/create-audit-exporter.js';
import { JsonLinesSink } from '../src/audit-export/sinks/json-lines-sink.js';
import { SyslogSink } from '../src/audit-export/sinks/syslog-sink.js';
import { WebhookSink } from '../src/audit-export/sinks/webhook-sink.js';
import { eventually, startHarness } from './support/harness.js';
import { startTcpSyslog, startUdpSyslog, startWebhookReceiver } from './support/audit-export-receivers.js';

// The audit export against a real database (Postgres, or PGlite when DATABASE_URL is unset) and real
// receivers: a file, an HTTP server checking signatures, UDP and TCP syslog listeners. Records are written
// the way the audit worker writes them (INSERTs of committed transactions), many at once.

const SECRET = 'whsec-test-0123456789abcdef';
const mainJs = fileURLToPath(new URL('../dist/audit-export/main.js', import.meta.url));
const realPostgres = Boolean(process.env['DATABASE_URL']);

let db: TestDatabase;
let tenants: Array<{ id: string; slug: string }>;
const dir = mkdtempSync(join(tmpdir(), 'airlock-audit-export-'));
const logger = createTestLogger({ level: 'warn' });

beforeAll(async () => {
  db = await createTestDatabase();
  tenants = [];
  for (const slug of ['acme', 'globex', 'initech']) {
    const id = randomUUID();
    await db.pg.query(`INSERT INTO tenants (id, slug, display_name, updated_at) VALUES ($1, $2, $2, now())`, [id, slug]);
    tenants.push({ id, slug });
  }
});

afterAll(async () => {
  await db?.close();
  rmSync(dir, { recursive: true, force: true });
});

let counter = 0;
/** Inserts `count` events of one tenant in one transaction (what one audit job does); returns their ids in order. */
async function writeEvents(pool: Pick<Pool, 'connect'>, tenant: { id: string }, count: number, options: { holdMs?: number; action?: string } = {}): Promise<string[]> {
  const ids = Array.from({ length: count }, () => `evt-${String(++counter).padStart(6, '0')}-${randomUUID().slice(0, 8)}`);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const id of ids) {
      await client.query(
        `INSERT INTO audit_events (id, tenant_id, occurred_at, actor_subject, actor_client_id, action, target, outcome, request_id, details)
         VALUES ($1, $2, now(), 'alice', 'claude', $3, 'wiki/search', 'success', $4, $5)`,
        [id, tenant.id, options.action ?? 'mcp.tools.call', `req-${id}`, { server: 'wiki', tool: 'search', note: 'a|b=c\nd' }],
      );
    }
    if (options.holdMs) await new Promise((resolve) => setTimeout(resolve, options.holdMs));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
  return ids;
}

async function resetCursors(): Promise<void> {
  await db.pg.query('DELETE FROM audit_export_cursors');
}

async function allIds(): Promise<string[]> {
  return (await db.pg.query<{ id: string }>('SELECT id FROM audit_events ORDER BY txid, seq')).rows.map((row) => row.id);
}

const idsOf = (records: Array<Record<string, unknown>>) => records.map((record) => record['id'] as string);
const unique = (ids: string[]) => [...new Set(ids)];

describe('audit export to real receivers', () => {
  it('delivers every record to a JSON lines file, a signed webhook that fails a few times first, and UDP syslog in CEF, in feed order', async () => {
    await resetCursors();
    const file = join(dir, 'audit.jsonl');
    const receiver = await startWebhookReceiver(SECRET, (index) => (index < 3 ? 500 : 200));
    const udp = await startUdpSyslog();
    const exporter = new AuditExporter({
      pg: db.pg,
      logger,
      batchSize: 7,
      pollMs: 20,
      retry: { minMs: 20, maxMs: 100 },
      sinks: [
        new JsonLinesSink({ path: file, format: 'airlock' }),
        new WebhookSink({ url: receiver.url, secret: SECRET, format: 'ocsf' }),
        new SyslogSink({ protocol: 'udp', host: '127.0.0.1', port: udp.port }),
      ],
    });
    try {
      const written: string[] = [];
      for (const [i, tenant] of tenants.entries()) written.push(...(await writeEvents(db.pg, tenant, 5 + i)));
      exporter.start();
      // More while it runs, from several connections at once.
      const more = await Promise.all(tenants.map((tenant) => writeEvents(db.pg, tenant, 4, { holdMs: 30 })));
      const expected = await allIds();
      expect(new Set(expected)).toEqual(new Set([...written, ...more.flat()]));

      const webhookIds = () => receiver.acknowledged().map((event) => (event['metadata'] as { uid: string }).uid);
      const syslogIds = () => udp.messages.map((m) => /externalId=(\S+)/.exec(m)?.[1] as string);
      // Every record, first arrivals in feed order. On the embedded database a query may fail under
      // concurrency (see the README), and the batch it belonged to is sent again: at-least-once still.
      await eventually(() => expect(unique(idsOf(readJsonLines(file)))).toEqual(expected), 20_000);
      await eventually(() => expect(unique(webhookIds())).toEqual(expected), 20_000);
      await eventually(() => expect(unique(syslogIds())).toEqual(expected), 20_000);
      if (realPostgres) {
        // No failure, no repeat.
        expect(idsOf(readJsonLines(file))).toEqual(expected);
        expect(webhookIds()).toEqual(expected);
        expect(syslogIds()).toEqual(expected);
      }

      // The file: the stable record, the tenant by id and slug.
      const first = readJsonLines(file)[0] as Record<string, unknown>;
      expect(first).toMatchObject({ schema: 'airlock.audit.v1', id: expected[0], tenant: { slug: 'acme' }, actor: { subject: 'alice', clientId: 'claude' }, action: 'mcp.tools.call', outcome: 'success' });
      // The webhook: three 500s, retried with the same records; every request signed; OCSF API Activity.
      expect(receiver.requests.slice(0, 4).map((r) => r.status)).toEqual([500, 500, 500, 200]);
      expect(idsOf(receiver.requests[0]?.records.map((e) => ({ id: (e['metadata'] as { uid: string }).uid })) ?? [])).toEqual(
        idsOf(receiver.requests[3]?.records.map((e) => ({ id: (e['metadata'] as { uid: string }).uid })) ?? []),
      );
      expect(receiver.requests.every((r) => r.signatureValid)).toBe(true);
      expect(receiver.acknowledged()[0]).toMatchObject({ class_uid: 6003, activity_id: 99, metadata: { version: '1.3.0', tenant_uid: tenants[0]?.id } });
      // Syslog: RFC 5424 + CEF, escaped, one per record, in order.
      expect(udp.messages[0]).toMatch(/^<110>1 \S+ \S+ airlock \d+ mcp\.tools\.call - CEF:0\|Airlock\|Airlock\|[^|]*\|mcp\.tools\.call\|mcp\.tools\.call success\|3\|rt=\d+ /);
      // details go as JSON (its newline is the two characters \n), then CEF-escaped: `=` and `\` get a backslash.
      expect(udp.messages[0]).toContain('cs6={"note":"a|b\\=c\\\\nd"');
      // The cursors are durable and at the end.
      const cursors = await db.pg.query<{ sink: string; last_seq: string }>('SELECT sink, last_seq::text FROM audit_export_cursors ORDER BY sink');
      expect(cursors.rows.map((row) => row.sink)).toEqual(['jsonl', 'syslog', 'webhook']);
    } finally {
      await exporter.close();
      await receiver.close();
      await udp.close();
    }
  }, 120_000);

  it('frames CEF over TCP syslog by octet counting, reconnecting after the listener restarts, and picks up from its cursor', async () => {
    await resetCursors();
    let tcp = await startTcpSyslog();
    const port = tcp.port;
    const exporter = new AuditExporter({ pg: db.pg, logger, batchSize: 50, pollMs: 20, retry: { minMs: 20, maxMs: 100 }, sinks: [new SyslogSink({ protocol: 'tcp', host: '127.0.0.1', port })] });
    try {
      exporter.start();
      const before = await allIds();
      await eventually(() => expect(tcp.messages.map((m) => /externalId=(\S+)/.exec(m)?.[1])).toEqual(before), 20_000);
      expect(tcp.frameErrors).toBe(0);
      await tcp.close();
      // The listener comes back on the same port; records written meanwhile arrive once it does.
      const meanwhile = await writeEvents(db.pg, tenants[1] as { id: string }, 3);
      await new Promise((resolve) => setTimeout(resolve, 200));
      tcp = await eventually(() => startTcpSyslog(port), 5_000, 50);
      await eventually(() => expect(tcp.messages.map((m) => /externalId=(\S+)/.exec(m)?.[1])).toEqual(expect.arrayContaining(meanwhile)), 20_000);
    } finally {
      await exporter.close();
      await tcp.close();
    }
  }, 120_000);

  // The embedded database runs one transaction at a time (another connection's statements wait for it), so
  // there a transaction cannot stay open while another commits: this needs a real server.
  it.skipIf(!realPostgres)('never passes a record whose transaction is still open: a later commit waits for it instead of skipping it [needs a real Postgres]', async () => {
    await resetCursors();
    const receiver = await startWebhookReceiver(SECRET);
    const exporter = new AuditExporter({ pg: db.pg, logger, batchSize: 100, pollMs: 10, sinks: [new WebhookSink({ url: receiver.url, secret: SECRET, format: 'airlock' })] });
    const pool = createPgPool(db.url, { max: 2 });
    try {
      exporter.start();
      const existing = await allIds();
      await eventually(() => expect(idsOf(receiver.acknowledged())).toEqual(existing), 20_000);
      // A transaction takes its sequence value first and commits last.
      const slow = pool.connect();
      const client = await slow;
      await client.query('BEGIN');
      await client.query(`INSERT INTO audit_events (id, tenant_id, occurred_at, action, outcome) VALUES ('slow-one', $1, now(), 'admin.tenant.update', 'success')`, [tenants[0]?.id]);
      const fast = await writeEvents(db.pg, tenants[2] as { id: string }, 2);
      // A cursor by seq alone would now deliver `fast` and later skip `slow-one` for ever.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(idsOf(receiver.acknowledged())).toEqual(existing);
      await client.query('COMMIT');
      client.release();
      await eventually(() => expect(idsOf(receiver.acknowledged())).toEqual([...existing, 'slow-one', ...fast]), 20_000);
    } finally {
      await exporter.close();
      await pool.end();
      await receiver.close();
    }
  }, 120_000);

  it('on close, lets the batch in flight be acknowledged (nothing repeats after a restart); past the grace period it is sent again', async () => {
    await resetCursors();
    let delayMs = 400;
    const receiver = await startWebhookReceiver(SECRET, async () => {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return 200;
    });
    const exporterOn = () => new AuditExporter({ pg: db.pg, logger, batchSize: 1_000, pollMs: 20, sinks: [new WebhookSink({ url: receiver.url, secret: SECRET, format: 'airlock' })] });
    try {
      const expected = await allIds();
      const first = exporterOn();
      first.start();
      await eventually(() => expect(receiver.requests).toHaveLength(1), 10_000, 5);
      // Stopped while the receiver still holds the batch: close waits for the answer and moves the cursor.
      await first.close();
      expect(first.statusOf('webhook')?.delivered).toBe(expected.length);
      const more = await writeEvents(db.pg, tenants[1] as { id: string }, 3);
      const second = exporterOn();
      second.start();
      await eventually(() => expect(idsOf(receiver.received())).toEqual([...expected, ...more]), 10_000);
      // This time the receiver answers after the grace period: the batch is abandoned and comes again.
      delayMs = 1_000;
      const last = await writeEvents(db.pg, tenants[2] as { id: string }, 2);
      await eventually(() => expect(receiver.requests).toHaveLength(3), 10_000, 5);
      await second.close(100);
      delayMs = 0;
      const third = exporterOn();
      third.start();
      await eventually(() => expect(idsOf(receiver.received())).toEqual([...expected, ...more, ...last, ...last]), 10_000);
      await third.close();
    } finally {
      await receiver.close();
    }
  }, 120_000);

  it('runs inside the session store: a revoked session\'s audit record reaches the JSON lines file; its series count it, then show a lag', async () => {
    const file = join(dir, 'store.jsonl');
    const h = await startHarness({ env: { AUDIT_EXPORT_JSONL: file, AUDIT_EXPORT_POLL_MS: '20', SESSION_STORE_METRICS_PORT: '0' } });
    try {
      expect(h.store.auditExporter).toBeDefined();
      const write = await h.token('acme', 'sessions:write');
      const session = (await h.api('POST', '/v1/t/acme/sessions', { token: write, body: { subject: 'alice', clientId: 'claude', grantId: 'grant-x' } })).json<Session>();
      expect((await h.api('DELETE', `/v1/t/acme/sessions/${session.id}`, { token: write, body: { reason: 'user_logout' } })).status).toBe(204);
      await h.settle();
      await eventually(() => expect(readJsonLines(file)).toContainEqual(expect.objectContaining({ id: `session.revoked.${session.id}`, action: 'session.revoke', tenant: expect.objectContaining({ slug: 'acme' }) })), 20_000);
      // Its series: records delivered (counted once the cursor moved, just after the file's fsync), the lock held, caught up.
      const scrape = async () => (await fetch(h.store.metricsUrl as string)).text();
      await eventually(async () => {
        const text = await scrape();
        expect(Number(/airlock_audit_export_records_total\{[^}]*sink="jsonl"[^}]*\} (\d+)/.exec(text)?.[1])).toBe(readJsonLines(file).length);
        expect(text).toMatch(/airlock_audit_export_active\{[^}]*sink="jsonl"[^}]*\} 1\n/);
        expect(text).toMatch(/airlock_audit_export_lag_seconds\{[^}]*sink="jsonl"[^}]*\} 0\n/);
        expect(text).toMatch(/airlock_audit_export_failures_total\{[^}]*sink="jsonl"[^}]*\} 0\n/);
      }, 10_000, 50);
      // Records the sink has not delivered show as lag: the exporter stopped, its cursor back at the start, the records an hour old.
      await h.store.auditExporter?.close();
      await h.db.pg.query(`UPDATE audit_export_cursors SET last_txid = 0, last_seq = 0 WHERE sink = 'jsonl'`);
      await h.db.pg.query(`UPDATE audit_events SET occurred_at = now() - interval '1 hour'`);
      const lag = Number(/airlock_audit_export_lag_seconds\{[^}]*sink="jsonl"[^}]*\} ([\d.e+]+)/.exec(await scrape())?.[1]);
      expect(lag).toBeGreaterThan(3_500);
      expect(lag).toBeLessThan(3_700);
    } finally {
      await h.close();
    }
  }, 120_000);
});

// Advisory locks need real Postgres sessions: PGlite serves every connection from one session, where a
// lock is shared (the embedded default runs one process anyway).
describe.skipIf(!realPostgres)('exporter crashes and replicas [needs a real Postgres: DATABASE_URL]', () => {
  it('an exporter killed with SIGKILL mid-batch while records are being written loses nothing once restarted, and repeats at most that batch', async () => {
    await resetCursors();
    await db.pg.query('DELETE FROM audit_events');
    const BATCH = 25;
    let child: ChildProcess | undefined;
    let killedAt: number | undefined;
    let killed: Promise<unknown> | undefined;
    // The 6th batch is received, then the exporter is killed before it hears the answer.
    const receiver = await startWebhookReceiver(SECRET, async (index) => {
      if (index === 5 && child) {
        killedAt = index;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        killed = exited;
        await exited;
      }
      return 200;
    });
    const env = {
      ...process.env,
      DATABASE_URL: db.url,
      AUDIT_EXPORT_WEBHOOK_URL: receiver.url,
      AUDIT_EXPORT_WEBHOOK_SECRET: SECRET,
      AUDIT_EXPORT_BATCH: String(BATCH),
      AUDIT_EXPORT_POLL_MS: '20',
      LOG_LEVEL: 'warn',
    };
    const startChild = () => spawn(process.execPath, [mainJs], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    const writers = createPgPool(db.url, { max: 6 });
    const written: string[][] = tenants.map(() => []);
    let writing = true;
    // Three writers (one per tenant) keep committing small transactions, some slow, until told to stop.
    const writerLoops = tenants.map(async (tenant, i) => {
      for (let n = 0; writing || n < 20; n++) {
        (written[i] as string[]).push(...(await writeEvents(writers, tenant, 1 + (n % 4), { holdMs: n % 5 === 0 ? 15 : 0 })));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    });
    try {
      child = startChild();
      await eventually(() => expect(killed).toBeDefined(), 30_000, 10);
      await killed;
      expect(killedAt).toBe(5);
      const deliveredBeforeRestart = receiver.received().length;
      // Restarted: it picks up at its durable cursor, while the writers go on.
      child = startChild();
      await new Promise((resolve) => setTimeout(resolve, 500));
      writing = false;
      await Promise.all(writerLoops);
      const expected = await allIds();
      expect(expected.length).toBeGreaterThan(100);
      await eventually(() => expect(new Set(idsOf(receiver.received()))).toEqual(new Set(expected)), 60_000, 50);

      const received = idsOf(receiver.received());
      const duplicates = received.length - new Set(received).size;
      // Exactly the batch that was in flight when it died, and no more.
      const inFlight = idsOf(receiver.requests[5]?.records ?? []);
      expect(inFlight.length).toBeGreaterThan(0);
      expect(duplicates).toBeLessThanOrEqual(BATCH);
      expect(duplicates).toBe(inFlight.length);
      expect(received.slice(deliveredBeforeRestart, deliveredBeforeRestart + inFlight.length)).toEqual(inFlight);
      // Order: first arrivals follow the feed, so each tenant's records arrive in the order they were written.
      const firstArrivals = [...new Set(received)];
      expect(firstArrivals).toEqual(expected);
      for (const ids of written) expect(firstArrivals.filter((id) => ids.includes(id))).toEqual(ids);
      expect(receiver.requests.every((r) => r.signatureValid)).toBe(true);
    } finally {
      writing = false;
      await Promise.allSettled(writerLoops);
      child?.kill('SIGKILL');
      await writers.end();
      await receiver.close();
    }
  }, 120_000);

  it('two exporters at once export each record once (one holds the sink lock); when it stops, the other takes over from the cursor', async () => {
    await resetCursors();
    const receiver = await startWebhookReceiver(SECRET);
    const pools = [createPgPool(db.url, { max: 2 }), createPgPool(db.url, { max: 2 })];
    const makeExporter = (pool: Pool) =>
      createAuditExporter(sessionStoreConfigSchema.parse({ AUDIT_EXPORT_WEBHOOK_URL: receiver.url, AUDIT_EXPORT_WEBHOOK_SECRET: SECRET, AUDIT_EXPORT_BATCH: '10', AUDIT_EXPORT_POLL_MS: '20' }).auditExport, {
        pg: pool,
        logger,
        lockRetryMs: 50,
      }) as AuditExporter;
    const [a, b] = pools.map(makeExporter) as [AuditExporter, AuditExporter];
    try {
      a.start();
      b.start();
      await Promise.all(tenants.map((tenant) => writeEvents(db.pg, tenant, 15)));
      let expected = await allIds();
      await eventually(() => expect(idsOf(receiver.received())).toEqual(expected), 20_000);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(idsOf(receiver.received())).toEqual(expected);
      const active = [a.statusOf('webhook'), b.statusOf('webhook')];
      expect(active.filter((s) => s?.active)).toHaveLength(1);
      expect(active.map((s) => s?.delivered ?? 0).sort((x, y) => x - y)).toEqual([0, expected.length]);

      // The active one stops (a replica going away): the standby takes the lock and goes on from the cursor.
      const [leader, standby] = a.statusOf('webhook')?.active ? [a, b] : [b, a];
      await leader.close();
      await writeEvents(db.pg, tenants[0] as { id: string }, 12);
      expected = await allIds();
      await eventually(() => expect(new Set(idsOf(receiver.received()))).toEqual(new Set(expected)), 20_000);
      expect(standby.statusOf('webhook')?.active).toBe(true);
      expect(idsOf(receiver.received())).toEqual(expected);
    } finally {
      await a.close();
      await b.close();
      await Promise.all(pools.map((pool) => pool.end()));
      await receiver.close();
    }
  }, 120_000);
});

function readJsonLines(file: string): Array<Record<string, unknown>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
