import { describe, expect, it } from 'vitest';
import { classifyProbe } from './upstream-era-probe.js';

const answer = (status: number, message: unknown) => classifyProbe({ kind: 'status', status, message });

describe('classifyProbe (the era a server/discover probe shows)', () => {
  it('a discover result listing 2026-07-28 is a 2026-07-28 server', () => {
    expect(answer(200, { jsonrpc: '2.0', id: 1, result: { supportedVersions: ['2026-07-28'], capabilities: {} } })).toEqual({ era: '2026-07-28' });
  });

  it('UnsupportedProtocolVersion listing 2026-07-28 is a 2026-07-28 server; one listing only older revisions is session-based', () => {
    const error = (supported: string[]) => ({ jsonrpc: '2.0', id: 1, error: { code: -32022, message: 'Unsupported protocol version', data: { supported, requested: '2026-07-28' } } });
    expect(answer(400, error(['2026-07-28', '2025-11-25']))).toEqual({ era: '2026-07-28' });
    expect(answer(400, error(['2025-11-25']))).toEqual({ era: '2025-11-25' });
  });

  it('a session-based server refusing the sessionless request, or not knowing the method, is session-based', () => {
    expect(answer(400, { jsonrpc: '2.0', id: null, error: { code: -32000, message: 'Bad Request: Server not initialized' } })).toEqual({ era: '2025-11-25' });
    expect(answer(200, { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found' } })).toEqual({ era: '2025-11-25' });
    expect(answer(405, undefined)).toEqual({ era: '2025-11-25' });
    // A result without a version list is not a discover result.
    expect(answer(200, { jsonrpc: '2.0', id: 1, result: {} })).toEqual({ era: '2025-11-25' });
  });

  it('refused credentials, server errors and network errors show nothing (not to be remembered)', () => {
    for (const status of [401, 403, 500, 503]) expect(answer(status, undefined)).toHaveProperty('unknown');
    expect(classifyProbe({ kind: 'network-error', error: new Error('ECONNREFUSED') })).toHaveProperty('unknown');
  });
});
