import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MemoryOAuthProvider, SPAN_KIND, signInAndApprove, spanAttribute, startOtlpReceiver } from '@airlock/testing';
import type { OtlpReceiver, ReceivedSpan } from '@airlock/testing';
import { TENANT, USER, startFixture, startFullStack, type FullStack } from './support/full-stack.js';

// Tracing across the whole platform: the three services traced into one OTLP receiver in this process, an
// SDK client signing in (the auth server's token endpoint) and calling a tool. One trace must run from the
// gateway's initialize through the session store's API to the queue job it enqueued.

async function until<T>(probe: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('tracing: spans of all three services after real traffic', () => {
  let receiver: OtlpReceiver;
  let stack: FullStack;
  let fixture: { url: string; child: ChildProcess };
  let client: Client;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    fixture = await startFixture();
    stack = await startFullStack([{ name: 'web', url: fixture.url }], { env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50' } });
    const provider = new MemoryOAuthProvider('tracing e2e');
    const first = new Client({ name: 'tracing', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(new URL(stack.aggregatedUrl), { authProvider: provider });
    await expect(first.connect(transport)).rejects.toBeInstanceOf(UnauthorizedError);
    const callback = await signInAndApprove(provider.authorizationUrl!, USER);
    await transport.finishAuth(callback.searchParams.get('code')!);
    client = new Client({ name: 'tracing', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(stack.aggregatedUrl), { authProvider: provider }));
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await stack?.close();
    fixture?.child.kill();
    await receiver?.close();
  });

  it("traces the auth server's token endpoint", async () => {
    const token = await until(
      () => receiver.spans.find((span) => span.service === 'airlock-auth-server' && span.kind === SPAN_KIND.SERVER && spanAttribute(span, 'url.path') === `/t/${TENANT}/token`),
      'the token endpoint span',
    );
    expect(spanAttribute(token, 'http.request.method')).toBe('POST');
    expect(Number(spanAttribute(token, 'http.response.status_code'))).toBe(200);
    // Health checks are not traced.
    expect(receiver.spans.some((span) => String(spanAttribute(span, 'url.path')).endsWith('z'))).toBe(false);
  });

  it('runs one trace from the gateway through the session store API to the queue job it enqueued', async () => {
    const initialize = await until(
      () => receiver.spans.find((span) => span.service === 'airlock-mcp-gateway' && span.kind === SPAN_KIND.SERVER && spanAttribute(span, 'mcp.method.name') === 'initialize'),
      'the initialize span',
    );
    const inTrace = () => receiver.spans.filter((span) => span.traceId === initialize.traceId);
    const childOf = (parent: ReceivedSpan, predicate: (span: ReceivedSpan) => boolean) => inTrace().find((span) => span.parentSpanId === parent.spanId && predicate(span));
    const storeClient = await until(() => inTrace().find((span) => span.service === 'airlock-mcp-gateway' && span.kind === SPAN_KIND.CLIENT && span.name.includes('/v1/t/{tenant}/sessions')), 'the session store call');
    const storeServer = await until(() => childOf(storeClient, (span) => span.service === 'airlock-session-store' && span.kind === SPAN_KIND.SERVER), 'the session store span');
    expect(spanAttribute(storeServer, 'http.route')).toMatch(/^\/v1\/t\/:tenant\/sessions/);
    const producer = await until(() => inTrace().find((span) => span.service === 'airlock-session-store' && span.kind === SPAN_KIND.PRODUCER), 'a queued job');
    const consumer = await until(() => childOf(producer, (span) => span.kind === SPAN_KIND.CONSUMER), 'the job run');
    expect(consumer.name).toBe(`process ${String(spanAttribute(producer, 'messaging.destination.name'))}`);
    expect(spanAttribute(consumer, 'messaging.system')).toBe('bullmq');
    expect(spanAttribute(consumer, 'airlock.job.name')).toBe(spanAttribute(producer, 'airlock.job.name'));
  });

  it('traces a tools/call at the gateway with its upstream client span', async () => {
    const result = await client.callTool({ name: 'web__echo', arguments: { text: 'hi' } });
    expect(result.isError).toBeFalsy();
    const call = await until(
      () => receiver.spans.find((span) => span.service === 'airlock-mcp-gateway' && span.kind === SPAN_KIND.SERVER && spanAttribute(span, 'gen_ai.tool.name') === 'web__echo'),
      'the tools/call span',
    );
    await until(() => receiver.spans.find((span) => span.parentSpanId === call.spanId && span.name === 'tools/call echo' && span.kind === SPAN_KIND.CLIENT), 'the upstream span');
  });
});
