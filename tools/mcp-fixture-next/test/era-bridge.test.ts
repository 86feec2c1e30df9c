import { describe, expect, it } from 'vitest';
import { createMcpHandler, isInputRequiredResult, isSpecType } from '@modelcontextprotocol/server';
import { Client as LegacyClient } from '@modelcontextprotocol/sdk/client/index.js';
import { Server as LegacyServer } from '@modelcontextprotocol/sdk/server/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CreateMessageResultSchema, ElicitRequestSchema, ElicitResultSchema, ListRootsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Request as LegacyRequest, Result as LegacyResult } from '@modelcontextprotocol/sdk/types.js';
import { createFixtureServer } from '@airlock/mcp-fixture';
import {
  answerUpstreamRequests,
  clientRequestsFromInputRequired,
  envelopeForLegacyClient,
  legacyResultFromModern,
  MAX_INPUT_ROUNDS,
  modernRequestHeaders,
  modernResultFromLegacy,
  parkUpstreamRequests,
  retryParamsFromClientAnswers,
  withEnvelope,
} from '@airlock/mcp-protocol';
import type { JsonRpcResponseMessage, UpstreamServerRequest } from '@airlock/mcp-protocol';
import { createFixtureState, createNextFixtureServer } from '../src/index.js';

// The era-bridge translations driven end to end between real SDK peers, in process: the loop the gateway
// will run, minus HTTP and storage. (a) the 2025-11-25 fixture (SDK 1.x) asks for an elicitation while a
// 2026-07-28 client's call is in flight; (b) the 2026-07-28 fixture (SDK 2.x) answers a 2025-11-25 client's
// call with input_required, and a real SDK 1.x client answers the elicitation.

describe('era bridge between real SDK peers', () => {
  it('(a) a 2025 upstream elicitation becomes input_required, and the retry answers the parked upstream call', async () => {
    // The gateway's client of the upstream session: it parks the elicitation instead of answering it.
    const gatewayUpstreamClient = new LegacyClient({ name: 'airlock-gateway-upstream', version: '0.0.0' }, { capabilities: { elicitation: {} } });
    const parked: Array<{ request: UpstreamServerRequest; answer: (result: LegacyResult) => void }> = [];
    const arrived = new Promise<void>((resolve) => {
      gatewayUpstreamClient.setRequestHandler(ElicitRequestSchema, (request, extra) => {
        return new Promise<LegacyResult>((answer) => {
          parked.push({ request: { id: extra.requestId, method: request.method, params: request.params as Record<string, unknown> }, answer });
          resolve();
        });
      });
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await createFixtureServer().connect(serverSide);
    await gatewayUpstreamClient.connect(clientSide);
    try {
      const call = gatewayUpstreamClient.callTool({ name: 'test_elicitation', arguments: { message: 'Your name?' } });
      await arrived;

      const outcome = parkUpstreamRequests(
        parked.map((p) => p.request),
        { clientCapabilities: { elicitation: {} }, requestState: 'handle-0123456789abcdefghij' },
      );
      expect(outcome.kind).toBe('input-required');
      if (outcome.kind !== 'input-required') return;
      expect(isInputRequiredResult(outcome.result)).toBe(true);
      const [key] = Object.keys(outcome.result.inputRequests ?? {});
      expect(outcome.result.inputRequests?.[key ?? '']).toMatchObject({ method: 'elicitation/create', params: { message: 'Your name?' } });

      // The new-era client's retry, as the SDK 2.x client would send it.
      const retry = { [key ?? '']: { action: 'accept', content: { response: 'Ada' } } };
      const answered = answerUpstreamRequests(outcome.pending, retry);
      expect(answered.stillPending).toEqual([]);
      for (const reply of answered.replies) {
        const waiting = parked.find((p) => p.request.id === reply.id);
        if (waiting && 'result' in reply) waiting.answer(reply.result);
      }
      const result = modernResultFromLegacy('tools/call', (await call) as Record<string, unknown>);
      expect(result).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: expect.stringContaining('action=accept') }] });
      expect(isSpecType.CallToolResult(result)).toBe(true);
    } finally {
      await gatewayUpstreamClient.close();
    }
  });

  it('(b) a 2026 upstream input_required reaches a 2025 client as requests, and its answers become the retry', async () => {
    const state = createFixtureState();
    const upstream = createMcpHandler(() => createNextFixtureServer(state), { legacy: 'reject' });

    // The 2025 client, connected to the gateway's downstream side (a bare SDK 1.x server stands in for it).
    const legacyClient = new LegacyClient({ name: 'old-client', version: '1.0.0' }, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    legacyClient.setRequestHandler(ElicitRequestSchema, async (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { ok: true } };
    });
    const downstream = new LegacyServer({ name: 'airlock-gateway', version: '0.0.0' }, { capabilities: { tools: {} } });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await downstream.connect(serverSide);
    await legacyClient.connect(clientSide);
    const profile = { capabilities: downstream.getClientCapabilities() ?? {}, clientInfo: { name: 'old-client', version: '1.0.0' } };

    let nextId = 1;
    const callUpstream = async (params: Record<string, unknown>) => {
      const body = { jsonrpc: '2.0', id: nextId++, method: 'tools/call', params: withEnvelope(params, envelopeForLegacyClient(profile)) };
      const response = await upstream.fetch(
        new Request('http://upstream.invalid/mcp', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...modernRequestHeaders('tools/call', body.params) },
          body: JSON.stringify(body),
        }),
      );
      expect(response.status).toBe(200);
      return ((await response.json()) as { result: Record<string, unknown> }).result;
    };

    try {
      const original = { name: 'confirm_action', arguments: { action: 'deploy' } };
      let result = await callUpstream(original);
      let rounds = 0;
      while (result.resultType === 'input_required' && rounds++ < MAX_INPUT_ROUNDS) {
        const requests = clientRequestsFromInputRequired(result, {
          clientCapabilities: profile.capabilities,
          mintId: () => `gw-${nextId++}`,
          mintElicitationId: () => `gw-elicitation-${nextId++}`,
        });
        expect(requests.ok).toBe(true);
        if (!requests.ok) return;
        const answers: Array<{ key: string; response: JsonRpcResponseMessage }> = [];
        for (const { key, request } of requests.requests) {
          const schema = { 'elicitation/create': ElicitResultSchema, 'sampling/createMessage': CreateMessageResultSchema, 'roots/list': ListRootsResultSchema }[
            request.method as 'elicitation/create'
          ];
          const answer = await downstream.request(request as unknown as LegacyRequest, schema);
          answers.push({ key, response: { jsonrpc: '2.0', id: request.id, result: answer as Record<string, unknown> } });
        }
        const retry = retryParamsFromClientAnswers(original, answers, requests.requestState);
        expect(retry.ok).toBe(true);
        if (!retry.ok) return;
        result = await callUpstream(retry.params);
      }
      expect(rounds).toBe(1);
      expect(asked).toEqual(['Confirm deploy?']);
      expect(legacyResultFromModern(result)).toEqual({ content: [{ type: 'text', text: 'deploy: done' }], _meta: expect.any(Object) });
    } finally {
      await legacyClient.close();
      await upstream.close();
    }
  });
});
