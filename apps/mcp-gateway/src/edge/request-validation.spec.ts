import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.js';
import { errorResponse } from '../errors/error-response.js';
import { checkContentType, checkGetAccept, checkHostAndOrigin, checkPostAccept, parseMessages, requestProtocolVersion } from './request-validation.js';
import { SseEventLog } from '../streams/sse-event-log.js';

const refusal = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return { status: errorResponse(error).status, code: (errorResponse(error).body as { error: { code: number } }).error.code };
    throw error;
  }
  return undefined;
};

describe('Streamable HTTP request rules', () => {
  it('requires both media types on POST and event-stream on GET', () => {
    expect(refusal(() => checkPostAccept({ accept: 'application/json, text/event-stream' }))).toBeUndefined();
    expect(refusal(() => checkPostAccept({ accept: 'application/json;q=0.9, text/event-stream;q=1' }))).toBeUndefined();
    expect(refusal(() => checkPostAccept({ accept: 'application/json' }))).toEqual({ status: 406, code: -32000 });
    expect(refusal(() => checkPostAccept({}))).toEqual({ status: 406, code: -32000 });
    expect(refusal(() => checkGetAccept({ accept: 'text/event-stream' }))).toBeUndefined();
    expect(refusal(() => checkGetAccept({ accept: 'application/json' }))).toEqual({ status: 406, code: -32000 });
    expect(refusal(() => checkContentType({ 'content-type': 'application/json; charset=utf-8' }))).toBeUndefined();
    expect(refusal(() => checkContentType({ 'content-type': 'text/plain' }))).toEqual({ status: 415, code: -32000 });
  });

  it('accepts supported protocol versions, assumes 2025-03-26 without the header, refuses others with 400', () => {
    expect(requestProtocolVersion({ 'mcp-protocol-version': '2025-06-18' })).toEqual({ version: '2025-06-18', explicit: true });
    expect(requestProtocolVersion({})).toEqual({ version: '2025-03-26', explicit: false });
    expect(refusal(() => requestProtocolVersion({ 'mcp-protocol-version': '2026-99-99' }))).toEqual({ status: 400, code: -32000 });
  });

  it('parses messages with precise JSON-RPC errors and batches only for 2025-03-26', () => {
    const body = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
    expect(refusal(() => parseMessages(body('{'), '2025-11-25'))).toEqual({ status: 400, code: -32700 });
    expect(refusal(() => parseMessages(body({ jsonrpc: '2.0', id: 1 }), '2025-11-25'))).toEqual({ status: 400, code: -32600 });
    expect(refusal(() => parseMessages(body({ jsonrpc: '2.0', id: 1, result: 1 }), '2025-11-25'))).toEqual({ status: 400, code: -32600 });
    const batch = [
      { jsonrpc: '2.0', id: 1, method: 'ping' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
    ];
    expect(refusal(() => parseMessages(body(batch), '2025-06-18'))).toEqual({ status: 400, code: -32600 });
    expect(parseMessages(body(batch), '2025-03-26')).toMatchObject({ batch: true, messages: batch });
    expect(refusal(() => parseMessages(body([]), '2025-03-26'))).toEqual({ status: 400, code: -32600 });
  });

  it('checks Host against the allow-list and Origin against allowed origins', () => {
    const policy = { allowedHosts: new Set(['mcp.example.com']), allowedOrigins: new Set(['https://app.example.com']) };
    expect(refusal(() => checkHostAndOrigin({ host: 'mcp.example.com' }, policy))).toBeUndefined();
    expect(refusal(() => checkHostAndOrigin({ host: 'mcp.example.com:443', origin: 'https://app.example.com' }, policy))).toBeUndefined();
    expect(refusal(() => checkHostAndOrigin({ host: 'evil.example.com' }, policy))).toEqual({ status: 403, code: -32000 });
    expect(refusal(() => checkHostAndOrigin({ host: 'mcp.example.com', origin: 'https://evil.example.com' }, policy))).toEqual({ status: 403, code: -32000 });
    expect(refusal(() => checkHostAndOrigin({ host: 'mcp.example.com', origin: 'http://localhost:5173' }, policy))).toEqual({ status: 403, code: -32000 });
    expect(refusal(() => checkHostAndOrigin({ host: 'mcp.example.com', origin: 'http://localhost:5173' }, { ...policy, loopbackOrigins: true }))).toBeUndefined();
    // A tenant's own origins (its settings) come beside the policy's.
    expect(refusal(() => checkHostAndOrigin({ host: 'mcp.example.com', origin: 'https://tenant.example.org' }, policy, ['https://tenant.example.org']))).toBeUndefined();
    expect(refusal(() => checkHostAndOrigin({ host: 'mcp.example.com', origin: 'https://other.example.org' }, policy, ['https://tenant.example.org']))).toEqual({ status: 403, code: -32000 });
  });

  it('gives the same verdict for a header value seen before (verdicts are remembered per value)', () => {
    for (let round = 0; round < 3; round++) {
      expect(refusal(() => checkPostAccept({ accept: 'application/json, text/event-stream' }))).toBeUndefined();
      expect(refusal(() => checkPostAccept({ accept: 'text/event-stream' }))).toEqual({ status: 406, code: -32000 });
      expect(refusal(() => checkContentType({ 'content-type': 'application/json' }))).toBeUndefined();
      expect(refusal(() => checkContentType({ 'content-type': 'text/plain' }))).toEqual({ status: 415, code: -32000 });
      expect(refusal(() => checkContentType({}))).toEqual({ status: 415, code: -32000 });
    }
  });

  it('parses only event ids of its own shape', () => {
    expect(SseEventLog.parseEventId(`${'a'.repeat(24)}_1700000000000-3`)).toEqual({ streamId: 'a'.repeat(24), entryId: '1700000000000-3' });
    for (const forged of ['', 'x_1-1', `${'a'.repeat(24)}_abc`, `${'a'.repeat(24)}-1-1`, `../${'a'.repeat(22)}_1-1`]) expect(SseEventLog.parseEventId(forged)).toBeUndefined();
  });
});
