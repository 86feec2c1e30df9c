import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { RelatedStreams } from '../src/upstream/related-stream.js';
import { startFixtureProcess } from './support/gateway-harness.js';
import type { FixtureProcess } from './support/gateway-harness.js';

// The SDK client (what UpstreamLink uses) against the fixture over Streamable HTTP: concurrent calls to
// one upstream each trigger a server-to-client request, and each request's handler learns the stream of
// the call that caused it.

describe('RelatedStreams with the SDK client over Streamable HTTP', () => {
  let fixture: FixtureProcess;
  let client: Client;
  const related = new RelatedStreams();
  const seen: Array<{ method: string; stream: string | undefined; prompt: string }> = [];

  beforeAll(async () => {
    fixture = await startFixtureProcess();
    client = new Client({ name: 'related', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (request) => {
      const content = request.params.messages[0]?.content;
      const prompt = content && 'text' in content ? String(content.text) : '';
      seen.push({ method: request.method, stream: related.current(), prompt });
      return { role: 'assistant', model: 'm', content: { type: 'text', text: prompt } };
    });
    client.setRequestHandler(ElicitRequestSchema, async (request) => {
      seen.push({ method: request.method, stream: related.current(), prompt: request.params.message });
      return { action: 'accept', content: { username: 'u', email: 'u@example.com' } };
    });
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
  });
  afterAll(async () => {
    await client?.close();
    await fixture?.stop();
  });

  it('names the stream of the call each sampling or elicitation request relates to', async () => {
    seen.length = 0;
    await Promise.all([
      ...[0, 1, 2].map((n) => related.run(`sampling-${n}`, () => client.callTool({ name: 'test_sampling', arguments: { prompt: `p${n}` } }))),
      ...[0, 1].map((n) => related.run(`elicitation-${n}`, () => client.callTool({ name: 'test_elicitation', arguments: { message: `m${n}` } }))),
    ]);
    const sampling = seen.filter((entry) => entry.method === 'sampling/createMessage');
    expect(sampling).toHaveLength(3);
    for (const entry of sampling) expect(entry.stream).toBe(`sampling-${entry.prompt.slice(1)}`);
    const elicitation = seen.filter((entry) => entry.method === 'elicitation/create');
    expect(elicitation).toHaveLength(2);
    for (const entry of elicitation) expect(entry.stream).toBe(`elicitation-${entry.prompt.slice(1)}`);
  });

  it('names no stream for a call made outside run', async () => {
    seen.length = 0;
    await client.callTool({ name: 'test_sampling', arguments: { prompt: 'p9' } });
    expect(seen).toEqual([{ method: 'sampling/createMessage', stream: undefined, prompt: 'p9' }]);
  });
});
