import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { AUDIT_BATCH_JOB, auditBatchSchema, Queues } from '@airlock/contracts';
import type { AuditEvent } from '@airlock/contracts';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';

// Every tools/call is audited once, in batch jobs on Queues.audit (written to Postgres by the session
// store's worker, tested there); a graceful stop hands over the records still held. The batch window is
// made very long so that only a full batch or the stop can send records.

async function until(probe: () => boolean): Promise<void> {
  while (!probe()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('audit batching', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  const jobs: Array<{ name: string; events: AuditEvent[] }> = [];
  const audited = () => jobs.flatMap((job) => job.events);

  beforeAll(async () => {
    world = await startGatewayWorld({ auditBatchMax: 10, auditFlushMs: 600_000 });
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
    world.queues.work<unknown>(Queues.audit, async (job) => void jobs.push({ name: job.name, events: auditBatchSchema.parse(job.data).events }));
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
  });

  it('audits N calls from several sessions as N records in batch jobs, and a graceful stop sends the rest', async () => {
    const url = world.serverUrl('web');
    const clients = await Promise.all(
      ['alice', 'bob', 'carol'].map(async (subject) => {
        const client = new Client({ name: 'audit', version: '1.0.0' });
        const token = await world.token(url, { subject });
        await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
        return client;
      }),
    );
    const CALLS = 8;
    await Promise.all(clients.map(async (client) => {
      for (let i = 0; i < CALLS; i++) await client.callTool({ name: 'echo', arguments: { text: `call ${i}` } });
    }));
    await Promise.all(clients.map((client) => client.close()));
    // 24 calls: two full batches go at once, the last 4 records wait for the (600 s) window or the stop.
    await until(() => audited().length >= 20);
    expect(jobs.map((job) => job.events.length)).toEqual([10, 10]);

    await world.gateway.close();
    await world.queues.drain(Queues.audit);
    expect(jobs.map((job) => job.events.length)).toEqual([10, 10, 4]);
    expect(new Set(jobs.map((job) => job.name))).toEqual(new Set([AUDIT_BATCH_JOB]));
    const records = audited();
    expect(new Set(records.map((record) => record.id)).size).toBe(3 * CALLS);
    for (const subject of ['alice', 'bob', 'carol']) {
      const mine = records.filter((record) => record.actor.subject === subject);
      expect(mine).toHaveLength(CALLS);
      for (const record of mine) {
        expect(record).toMatchObject({ tenant: world.tenant, action: 'mcp.tools.call', target: 'web/echo', outcome: 'success', actor: { subject, clientId: 'client-a' } });
      }
    }
  });
});
