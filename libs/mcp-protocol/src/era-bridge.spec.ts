import { describe, expect, it } from 'vitest';
import { inputRequired, isInputRequiredResult, isSpecType } from '@modelcontextprotocol/server';
import { CreateMessageRequestSchema, ElicitRequestSchema, ElicitResultSchema, ListRootsRequestSchema, ListRootsResultSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  answerUpstreamRequests,
  modernErrorFromLegacy,
  modernResultFromLegacy,
  parkUpstreamRequests,
  reaskPending,
  urlElicitationErrorToInputRequired,
} from './legacy-upstream-bridge.js';
import {
  clientRequestsFromInputRequired,
  envelopeForLegacyClient,
  legacyResultFromModern,
  modernRequestHeaders,
  retryParamsFromClientAnswers,
  withEnvelope,
} from './modern-upstream-bridge.js';
import { validateModernRequest } from './modern-request.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from './protocol-versions.js';
import { requestDigest } from './request-digest.js';

// The SDKs' own schemas are the oracle: what the bridge hands a 2026-07-28 client must parse as SDK 2.x
// spec types, and what it hands a 2025-11-25 peer must parse with SDK 1.x schemas.

const elicit = { id: 41, method: 'elicitation/create', params: { mode: 'form', message: 'Your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } } };
const sample = { id: 'm-7', method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'Capital of France?' } }], maxTokens: 50 } };
const roots = { id: 43, method: 'roots/list', params: {} };
const everything = { elicitation: {}, sampling: {}, roots: {} };

describe('legacy upstream, modern client', () => {
  it('parks the upstream requests as an input_required result the SDK 2.x accepts', () => {
    const outcome = parkUpstreamRequests([elicit, sample, roots], { clientCapabilities: everything, requestState: 'handle-abc' });
    expect(outcome.kind).toBe('input-required');
    if (outcome.kind !== 'input-required') return;
    expect(isInputRequiredResult(outcome.result)).toBe(true);
    expect(outcome.result.requestState).toBe('handle-abc');
    const entries = Object.entries(outcome.result.inputRequests ?? {});
    expect(entries.map(([, entry]) => entry.method)).toEqual(['elicitation/create', 'sampling/createMessage', 'roots/list']);
    expect(new Set(entries.map(([key]) => key)).size).toBe(3);
    const typeFor = { 'elicitation/create': 'ElicitRequest', 'sampling/createMessage': 'CreateMessageRequest', 'roots/list': 'ListRootsRequest' } as const;
    for (const [, entry] of entries) expect(isSpecType[typeFor[entry.method]](entry)).toBe(true);
    expect(outcome.pending.map((p) => p.upstreamRequestId)).toEqual([41, 'm-7', 43]);
    expect(outcome.upstreamReplies).toEqual([]);
  });

  it('answers ping itself, refuses what a client cannot be asked, and drops 2025-only members', () => {
    const url = { id: 9, method: 'elicitation/create', params: { mode: 'url', message: 'Sign in', url: 'https://example.com/auth', elicitationId: 'e-1' } };
    const outcome = parkUpstreamRequests([{ id: 1, method: 'ping' }, { id: 2, method: 'tasks/list' }, url], {
      clientCapabilities: { elicitation: { url: {} } },
      requestState: 'h',
    });
    expect(outcome.kind).toBe('input-required');
    if (outcome.kind !== 'input-required') return;
    expect(outcome.upstreamReplies).toEqual([
      { jsonrpc: '2.0', id: 1, result: {} },
      { jsonrpc: '2.0', id: 2, error: { code: -32601, message: 'Method not found: tasks/list' } },
    ]);
    expect(Object.values(outcome.result.inputRequests ?? {})).toEqual([inputRequired.elicitUrl({ message: 'Sign in', url: 'https://example.com/auth' })]);
  });

  it('fails the call with -32021 naming the capability the client did not declare, and tells the upstream', () => {
    const outcome = parkUpstreamRequests([elicit, sample], { clientCapabilities: { elicitation: {} }, requestState: 'h' });
    expect(outcome).toEqual({
      kind: 'missing-capability',
      error: { code: -32021, message: 'Missing required client capabilities: sampling', data: { requiredCapabilities: { sampling: {} } } },
      upstreamReplies: [
        { jsonrpc: '2.0', id: 41, error: { code: -32601, message: 'The client does not support elicitation/create' } },
        { jsonrpc: '2.0', id: 'm-7', error: { code: -32601, message: 'The client does not support sampling/createMessage' } },
      ],
    });
    // Form-mode support does not cover a URL-mode elicitation.
    const url = parkUpstreamRequests([{ id: 3, method: 'elicitation/create', params: { mode: 'url', message: 'm', url: 'https://e.x', elicitationId: 'x' } }], {
      clientCapabilities: { elicitation: {} },
      requestState: 'h',
    });
    expect(url.kind).toBe('missing-capability');
  });

  it('turns valid answers into the JSON-RPC responses the upstream awaits, keeping the rest pending', () => {
    const parked = parkUpstreamRequests([elicit, sample, roots], { clientCapabilities: everything, requestState: 'h' });
    if (parked.kind !== 'input-required') throw new Error('expected input-required');
    const [elicitKey, sampleKey, rootsKey] = parked.pending.map((p) => p.key) as [string, string, string];
    const outcome = answerUpstreamRequests(parked.pending, {
      [elicitKey]: { action: 'accept', content: { name: 'Ada' }, resultType: 'complete' },
      [sampleKey]: { role: 'assistant', content: 'not a content block' },
      [rootsKey]: { roots: [{ uri: 'file:///work', name: 'work' }] },
      unrelated: { action: 'accept' },
    });
    expect(outcome.replies).toEqual([
      { jsonrpc: '2.0', id: 41, result: { action: 'accept', content: { name: 'Ada' } } },
      { jsonrpc: '2.0', id: 43, result: { roots: [{ uri: 'file:///work', name: 'work' }] } },
    ]);
    for (const reply of outcome.replies) {
      if (!('result' in reply)) continue;
      const schema = reply.id === 41 ? ElicitResultSchema : ListRootsResultSchema;
      expect(schema.safeParse(reply.result).success).toBe(true);
    }
    expect(outcome.stillPending.map((p) => p.upstreamRequestId)).toEqual(['m-7']);
    const again = reaskPending(outcome.stillPending, 'h');
    expect(again).toEqual({ resultType: 'input_required', inputRequests: { [sampleKey]: { method: 'sampling/createMessage', params: sample.params } }, requestState: 'h' });
    expect(answerUpstreamRequests(parked.pending, 'garbage').stillPending).toHaveLength(3);
  });

  it('shapes 2025 results and errors for a 2026-07-28 client', () => {
    expect(modernResultFromLegacy('tools/list', { tools: [] })).toEqual({ tools: [], resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
    expect(modernResultFromLegacy('tools/call', { content: [] })).toEqual({ content: [], resultType: 'complete' });
    expect(modernErrorFromLegacy({ code: -32002, message: 'Resource not found' }, { params: { uri: 'test://x' } })).toEqual({
      code: -32602,
      message: 'Resource not found',
      data: { uri: 'test://x' },
    });
    expect(modernErrorFromLegacy({ code: -32603, message: 'boom' })).toEqual({ code: -32603, message: 'boom' });
    const url = urlElicitationErrorToInputRequired(
      { code: -32042, message: 'auth', data: { elicitations: [{ mode: 'url', elicitationId: 'e1', url: 'https://e.x/a', message: 'Sign in' }] } },
      'h',
    );
    expect(url).toEqual({ resultType: 'input_required', inputRequests: { 'url-e1': { method: 'elicitation/create', params: { mode: 'url', url: 'https://e.x/a', message: 'Sign in' } } }, requestState: 'h' });
    // The generic ElicitRequest schema is 2025-shaped (it wants elicitationId); the SDK's own 2026 builder is the reference.
    expect(url?.inputRequests?.['url-e1']).toEqual(inputRequired.elicitUrl({ url: 'https://e.x/a', message: 'Sign in' }));
  });
});

describe('modern upstream, legacy client', () => {
  const legacyClient = { capabilities: { elicitation: {}, sampling: {}, roots: { listChanged: true }, tasks: {} }, clientInfo: { name: 'old', version: '1.0.0' } };

  it('calls the upstream with an envelope and headers the 2026-07-28 ladder accepts', () => {
    const params = withEnvelope({ name: 'confirm_action', arguments: { action: 'deploy' } }, envelopeForLegacyClient(legacyClient));
    const headers = Object.fromEntries(Object.entries(modernRequestHeaders('tools/call', params)).map(([k, v]) => [k.toLowerCase(), v]));
    const outcome = validateModernRequest({ header: (name) => headers[name.toLowerCase()], body: { jsonrpc: '2.0', id: 5, method: 'tools/call', params }, supportedVersions: SUPPORTED_PROTOCOL_VERSIONS });
    expect(outcome.ok).toBe(true);
    if (outcome.ok) expect(outcome.request.clientCapabilities).toEqual({ elicitation: {}, sampling: {}, roots: { listChanged: true } });
    expect(modernRequestHeaders('resources/read', { uri: 'file:///ü' })['Mcp-Name']).toBe('=?base64?ZmlsZTovLy/DvA==?=');
  });

  it('turns input_required into server-to-client requests SDK 1.x parses, with minted ids', () => {
    let next = 100;
    const outcome = clientRequestsFromInputRequired(
      {
        resultType: 'input_required',
        inputRequests: {
          confirm: { method: 'elicitation/create', params: { message: 'Confirm?', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } } } } },
          login: { method: 'elicitation/create', params: { mode: 'url', message: 'Sign in', url: 'https://e.x/a' } },
          ask: { method: 'sampling/createMessage', params: sample.params },
          where: { method: 'roots/list', params: {} },
        },
        requestState: 'opaque-1',
      },
      { clientCapabilities: { elicitation: { form: {}, url: {} }, sampling: {}, roots: {} }, mintId: () => next++, mintElicitationId: () => 'gw-e-1' },
    );
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.requestState).toBe('opaque-1');
    expect(outcome.requests.map((r) => [r.key, r.request.id])).toEqual([['confirm', 100], ['login', 101], ['ask', 102], ['where', 103]]);
    const schemas = [ElicitRequestSchema, ElicitRequestSchema, CreateMessageRequestSchema, ListRootsRequestSchema];
    outcome.requests.forEach((r, index) => expect(schemas[index]?.safeParse(r.request).success).toBe(true));
    expect(outcome.requests[1]?.request.params).toMatchObject({ mode: 'url', elicitationId: 'gw-e-1' });
  });

  it('refuses malformed input_required results and requests the client never declared', () => {
    const options = { clientCapabilities: { elicitation: {} }, mintId: () => 1, mintElicitationId: () => 'e' };
    expect(clientRequestsFromInputRequired({ resultType: 'complete' }, options).ok).toBe(false);
    expect(clientRequestsFromInputRequired({ resultType: 'input_required' }, options).ok).toBe(false);
    const undeclared = clientRequestsFromInputRequired({ resultType: 'input_required', inputRequests: { q: { method: 'sampling/createMessage', params: sample.params } } }, options);
    expect(undeclared).toEqual({ ok: false, error: { code: -32603, message: 'The upstream asked for sampling/createMessage, which this client does not support' } });
    expect(clientRequestsFromInputRequired({ resultType: 'input_required', requestState: 's' }, options)).toEqual({ ok: true, requests: [], requestState: 's' });
  });

  it('builds the retry from the client answers and echoes requestState exactly; an error ends the call', () => {
    const original = { name: 'confirm_action', arguments: { action: 'deploy' }, inputResponses: { stale: {} }, requestState: 'old' };
    const retry = retryParamsFromClientAnswers(original, [{ key: 'confirm', response: { jsonrpc: '2.0', id: 100, result: { action: 'accept', content: { ok: true } } } }], 'opaque-1');
    expect(retry).toEqual({ ok: true, params: { name: 'confirm_action', arguments: { action: 'deploy' }, inputResponses: { confirm: { action: 'accept', content: { ok: true } } }, requestState: 'opaque-1' } });
    const failed = retryParamsFromClientAnswers(original, [{ key: 'confirm', response: { jsonrpc: '2.0', id: 100, error: { code: -32600, message: 'no UI' } } }], 'opaque-1');
    expect(failed).toEqual({ ok: false, error: { code: -32600, message: 'no UI' } });
    expect(legacyResultFromModern({ resultType: 'complete', ttlMs: 5, cacheScope: 'public', tools: [] })).toEqual({ tools: [] });
  });
});

describe('requestDigest', () => {
  it('binds method and defining params, not key order, _meta or the MRTR fields', async () => {
    const base = await requestDigest('tools/call', { name: 'a', arguments: { x: 1, y: [1, { z: 2 }] } });
    expect(await requestDigest('tools/call', { arguments: { y: [1, { z: 2 }], x: 1 }, name: 'a', _meta: { k: 1 }, inputResponses: {}, requestState: 's' })).toBe(base);
    expect(await requestDigest('tools/call', { name: 'a', arguments: { x: 2, y: [1, { z: 2 }] } })).not.toBe(base);
    expect(await requestDigest('prompts/get', { name: 'a', arguments: { x: 1, y: [1, { z: 2 }] } })).not.toBe(base);
    expect(base).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
