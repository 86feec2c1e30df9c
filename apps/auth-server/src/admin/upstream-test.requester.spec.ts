import { afterEach, describe, expect, it } from 'vitest';
import { UPSTREAM_TEST_CHANNEL, upstreamTestReplyChannel, upstreamTestRequestSchema, type UpstreamTestResult } from '@airlock/contracts';
import { createTestHotStore, type TestHotStore } from '@airlock/testing';
import { AdminError } from './admin.errors.js';
import { UpstreamTestRequester } from './upstream-test.requester.js';

const result = (server: string): UpstreamTestResult => ({
  ok: true,
  server,
  transport: 'http',
  stage: 'tools/list',
  timings: { initializeMs: 3, toolsListMs: 1, totalMs: 4 },
  protocolVersion: '2025-11-25',
  serverInfo: { name: 'fixture', version: '1' },
  tools: { count: 0, names: [] },
  testedAt: new Date().toISOString(),
  replica: 'r1',
});

describe('UpstreamTestRequester', () => {
  let hot: TestHotStore | undefined;
  afterEach(async () => hot?.close());

  it('publishes the request and answers the result a gateway publishes on its reply channel (malformed replies ignored)', async () => {
    hot = createTestHotStore();
    await hot.subscribe(UPSTREAM_TEST_CHANNEL, (message) => {
      const request = upstreamTestRequestSchema.parse(JSON.parse(message));
      expect(request).toMatchObject({ tenant: 'acme', server: 'docs' });
      expect(request.deadline).toBeGreaterThan(Date.now());
      void hot!.publish(upstreamTestReplyChannel(request.id), 'not json').then(() => hot!.publish(upstreamTestReplyChannel(request.id), JSON.stringify(result(request.server))));
    });
    expect(await new UpstreamTestRequester(hot).test('acme', 'docs', 5_000)).toMatchObject({ ok: true, server: 'docs' });
  });

  it('no gateway answering in time: 503 temporarily_unavailable saying so', async () => {
    hot = createTestHotStore();
    const refused = await new UpstreamTestRequester(hot).test('acme', 'docs', 100).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(AdminError);
    expect((refused as AdminError).getStatus()).toBe(503);
    expect(JSON.stringify((refused as AdminError).getResponse())).toContain('no MCP gateway answered the connection test');
  });
});
