import { describe, expect, it } from 'vitest';
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { detectEra, validateModernRequest } from './modern-request.js';
import { SUPPORTED_PROTOCOL_VERSIONS } from './protocol-versions.js';

const meta = (version = '2026-07-28', extra: Record<string, unknown> = {}) => ({
  'io.modelcontextprotocol/protocolVersion': version,
  'io.modelcontextprotocol/clientCapabilities': {},
  ...extra,
});
const call = (params: Record<string, unknown>, method = 'tools/call', id: unknown = 1) => ({ jsonrpc: '2.0', id, method, params });
const lookup = (headers: Record<string, string>) => (name: string) => headers[name.toLowerCase()];
const good = { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' };

function validate(headers: Record<string, string>, body: unknown) {
  return validateModernRequest({ header: lookup(headers), body, supportedVersions: SUPPORTED_PROTOCOL_VERSIONS });
}

function rejection(headers: Record<string, string>, body: unknown) {
  const outcome = validate(headers, body);
  if (outcome.ok) return undefined;
  return { status: outcome.rejection.status, code: outcome.rejection.response.error.code, id: outcome.rejection.response.id };
}

describe('validateModernRequest', () => {
  it('accepts a well-formed call and reports what it proved', () => {
    const outcome = validate(good, call({ name: 'echo', arguments: { text: 'x' }, _meta: meta('2026-07-28', { 'io.modelcontextprotocol/logLevel': 'info' }) }));
    expect(outcome).toEqual({
      ok: true,
      request: expect.objectContaining({ kind: 'request', id: 1, method: 'tools/call', name: 'echo', protocolVersion: '2026-07-28', clientCapabilities: {}, logLevel: 'info' }),
    });
  });

  it.each([
    ['a batch', good, [call({ name: 'echo', _meta: meta() })], { status: 400, code: -32600, id: null }],
    ['a null id', good, call({ name: 'echo', _meta: meta() }, 'tools/call', null), { status: 400, code: -32600, id: null }],
    ['a posted response', good, { jsonrpc: '2.0', id: 3, result: {} }, { status: 400, code: -32600, id: 3 }],
    ['no _meta', good, call({ name: 'echo' }), { status: 400, code: -32602, id: 1 }],
    ['no clientCapabilities', good, call({ name: 'echo', _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } }), { status: 400, code: -32602, id: 1 }],
    ['a non-string protocolVersion', good, call({ name: 'echo', _meta: meta('2026-07-28', { 'io.modelcontextprotocol/protocolVersion': 5 }) }), { status: 400, code: -32602, id: 1 }],
    ['a bad logLevel', good, call({ name: 'echo', _meta: meta('2026-07-28', { 'io.modelcontextprotocol/logLevel': 'loud' }) }), { status: 400, code: -32602, id: 1 }],
    ['no MCP-Protocol-Version header', { 'mcp-method': 'tools/call', 'mcp-name': 'echo' }, call({ name: 'echo', _meta: meta() }), { status: 400, code: -32020, id: 1 }],
    ['a header naming another version', { ...good, 'mcp-protocol-version': '2025-11-25' }, call({ name: 'echo', _meta: meta() }), { status: 400, code: -32020, id: 1 }],
    ['an unknown version', { ...good, 'mcp-protocol-version': '2099-01-01' }, call({ name: 'echo', _meta: meta('2099-01-01') }), { status: 400, code: -32022, id: 1 }],
    ['a legacy version in the envelope', { ...good, 'mcp-protocol-version': '2025-11-25' }, call({ name: 'echo', _meta: meta('2025-11-25') }), { status: 400, code: -32022, id: 1 }],
    ['initialize', { ...good, 'mcp-method': 'initialize' }, call({ _meta: meta() }, 'initialize', 'a'), { status: 404, code: -32601, id: 'a' }],
    ['ping', { ...good, 'mcp-method': 'ping' }, call({ _meta: meta() }, 'ping'), { status: 404, code: -32601, id: 1 }],
    ['logging/setLevel', { ...good, 'mcp-method': 'logging/setLevel' }, call({ level: 'info', _meta: meta() }, 'logging/setLevel'), { status: 404, code: -32601, id: 1 }],
    ['no Mcp-Method header', { 'mcp-protocol-version': '2026-07-28', 'mcp-name': 'echo' }, call({ name: 'echo', _meta: meta() }), { status: 400, code: -32020, id: 1 }],
    ['a Mcp-Method header naming another method', { ...good, 'mcp-method': 'tools/list' }, call({ name: 'echo', _meta: meta() }), { status: 400, code: -32020, id: 1 }],
    ['no Mcp-Name header on tools/call', { 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call' }, call({ name: 'echo', _meta: meta() }), { status: 400, code: -32020, id: 1 }],
    ['a Mcp-Name header naming another tool', { ...good, 'mcp-name': 'other' }, call({ name: 'echo', _meta: meta() }), { status: 400, code: -32020, id: 1 }],
    ['a malformed base64 Mcp-Name', { ...good, 'mcp-name': '=?base64?!!!?=' }, call({ name: 'echo', _meta: meta() }), { status: 400, code: -32020, id: 1 }],
    ['a Mcp-Name naming another resource', { ...good, 'mcp-method': 'resources/read', 'mcp-name': 'test://b' }, call({ uri: 'test://a', _meta: meta() }, 'resources/read'), { status: 400, code: -32020, id: 1 }],
  ])('refuses %s', (_label, headers, body, expected) => {
    expect(rejection(headers, body)).toEqual(expected);
  });

  it('lists the supported versions and echoes the requested one in -32022', () => {
    const outcome = validate({ ...good, 'mcp-protocol-version': '1900-01-01' }, call({ name: 'echo', _meta: meta('1900-01-01') }));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.rejection.response.error.data).toEqual({ supported: [...SUPPORTED_PROTOCOL_VERSIONS], requested: '1900-01-01' });
  });

  it('decodes a base64 Mcp-Name before comparing, and does not require Mcp-Name where the body names nothing', () => {
    expect(validate({ ...good, 'mcp-name': '=?base64?ZWNobw==?=' }, call({ name: 'echo', _meta: meta() })).ok).toBe(true);
    expect(validate({ ...good, 'mcp-name': '=?base64?5pel5pys?=' }, call({ name: '日本', _meta: meta() })).ok).toBe(true);
    expect(validate({ 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' }, call({ _meta: meta() }, 'tools/list')).ok).toBe(true);
  });

  it('serves requests that omit clientInfo (a SHOULD for clients, never required)', () => {
    expect(validate(good, call({ name: 'echo', _meta: meta() })).ok).toBe(true);
  });

  it('agrees with the SDK 2.x classifier on every rejection the classifier makes', () => {
    const cases: Array<[Record<string, string>, unknown]> = [
      [good, [call({ name: 'echo', _meta: meta() })]],
      [good, call({ name: 'echo', _meta: meta() }, 'tools/call', null)],
      [{ ...good, 'mcp-protocol-version': '2025-11-25' }, call({ name: 'echo', _meta: meta() })],
      [{ ...good, 'mcp-method': 'tools/list' }, call({ name: 'echo', _meta: meta() })],
      [good, call({ name: 'echo' })],
      [good, call({ name: 'echo', _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } })],
      [good, call({ name: 'echo', _meta: meta('2026-07-28', { 'io.modelcontextprotocol/clientCapabilities': 'x' }) })],
    ];
    for (const [headers, body] of cases) {
      const sdk = classifyInboundRequest({
        httpMethod: 'POST',
        protocolVersionHeader: headers['mcp-protocol-version'],
        mcpMethodHeader: headers['mcp-method'],
        mcpNameHeader: headers['mcp-name'],
        body,
      });
      expect(sdk.kind).toBe('reject');
      if (sdk.kind !== 'reject') continue;
      expect(rejection(headers, body)).toMatchObject({ status: sdk.httpStatus, code: sdk.code });
    }
  });
});

describe('detectEra', () => {
  const era = (httpMethod: string, headers: Record<string, string>, body?: unknown) => detectEra({ httpMethod, header: lookup(headers), body });

  it('routes the envelope claim or a modern header to the modern path, everything else to legacy', () => {
    expect(era('POST', good, call({ name: 'echo', _meta: meta() }))).toBe('modern');
    expect(era('POST', {}, call({ name: 'echo', _meta: meta() }))).toBe('modern');
    expect(era('POST', { 'mcp-protocol-version': '2026-07-28' }, call({ name: 'echo' }))).toBe('modern');
    expect(era('POST', { 'mcp-protocol-version': '1900-01-01' }, call({ name: 'echo', _meta: meta('1900-01-01') }))).toBe('modern');
    expect(era('POST', {}, call({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } }, 'initialize'))).toBe('legacy');
    expect(era('POST', { 'mcp-protocol-version': '2025-11-25', 'mcp-session-id': 's' }, call({ name: 'echo' }))).toBe('legacy');
    expect(era('POST', {}, { jsonrpc: '2.0', id: 1, result: {} })).toBe('legacy');
    expect(era('POST', {}, [call({ name: 'echo' })])).toBe('legacy');
    expect(era('GET', { 'mcp-protocol-version': '2026-07-28' })).toBe('legacy');
    expect(era('DELETE', { 'mcp-session-id': 's' })).toBe('legacy');
  });

  it('agrees with the SDK 2.x routing decision', () => {
    const cases: Array<[string, Record<string, string>, unknown]> = [
      ['POST', good, call({ name: 'echo', _meta: meta() })],
      ['POST', {}, call({ name: 'echo', _meta: meta() })],
      ['POST', { 'mcp-protocol-version': '2026-07-28' }, call({ name: 'echo' })],
      ['POST', {}, call({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } }, 'initialize')],
      ['POST', { 'mcp-protocol-version': '2025-11-25' }, call({ name: 'echo' })],
      ['POST', {}, { jsonrpc: '2.0', id: 1, result: {} }],
      ['GET', { 'mcp-protocol-version': '2026-07-28' }, undefined],
      ['POST', { 'mcp-protocol-version': '2026-07-28' }, [call({ name: 'echo', _meta: meta() })]],
    ];
    for (const [httpMethod, headers, body] of cases) {
      const sdk = classifyInboundRequest({ httpMethod, protocolVersionHeader: headers['mcp-protocol-version'], body });
      expect([httpMethod, headers, era(httpMethod, headers, body)]).toEqual([httpMethod, headers, sdk.kind === 'legacy' ? 'legacy' : 'modern']);
    }
  });
});
