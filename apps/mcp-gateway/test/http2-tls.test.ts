import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFixtureProcess, startGatewayWorld } from './support/gateway-harness.js';
import type { FixtureProcess, GatewayWorld } from './support/gateway-harness.js';
import { h2Request } from './support/h2-request.js';
import { ACCEPT_BOTH, initializeBody } from './support/raw-mcp.js';

// HTTPS with a self-signed certificate made here by openssl: ALPN offers h2 and HTTP/1.1 on one port.
// Over h2, fifty sessions' standalone SSE streams stay open side by side on one connection, alongside
// fifty SSE tool calls, and keep receiving (keep-alives); an HTTP/1.1 client is served on the same port.

const STREAMS = 50;

/** An open SSE stream: its status and a way to wait until its text contains something. */
function openSse(session: ClientHttp2Session, headers: Record<string, string>) {
  const stream: ClientHttp2Stream = session.request({ ...headers, ':method': 'GET', accept: 'text/event-stream' }, { endStream: true });
  let text = '';
  const waiters: Array<() => void> = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    text += chunk;
    for (const waiter of waiters.splice(0)) waiter();
  });
  const status = new Promise<number>((resolve, reject) => {
    stream.once('response', (received) => resolve(Number(received[':status'])));
    stream.once('error', reject);
  });
  const until = (needle: string) =>
    new Promise<string>((resolve, reject) => {
      const check = () => (text.includes(needle) ? resolve(text) : waiters.push(check));
      stream.once('close', () => reject(new Error(`stream closed before ${needle}: ${text}`)));
      check();
    });
  return { stream, status, until };
}

describe('gateway over TLS: h2 and HTTP/1.1 on one port', () => {
  let world: GatewayWorld;
  let fixture: FixtureProcess;
  let dir: string;
  let ca: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'airlock-gw-tls-'));
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    ca = readFileSync(cert);
    world = await startGatewayWorld({ sseKeepAliveMs: 100 }, { TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
    fixture = await startFixtureProcess();
    await world.addUpstream({ name: 'web', transport: 'http', url: fixture.url });
  });
  afterAll(async () => {
    await world?.close();
    await fixture?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`keeps ${STREAMS} SSE streams of initialized sessions open on one h2 connection`, async () => {
    const url = new URL(world.serverUrl('web'));
    expect(url.protocol).toBe('https:');
    const token = await world.token(url.href);
    const session = connect(url.origin, { ca });
    await new Promise<void>((resolve, reject) => session.once('connect', () => resolve()).once('error', reject));
    expect(session.alpnProtocol).toBe('h2');
    const base = { ':path': url.pathname, authorization: `Bearer ${token}` };

    const sessionIds = await Promise.all(
      Array.from({ length: STREAMS }, async () => {
        const init = await h2Request(session, { ...base, ':method': 'POST', 'content-type': 'application/json', accept: ACCEPT_BOTH }, initializeBody());
        expect(init.status).toBe(200);
        const id = String(init.headers['mcp-session-id']);
        const initialized = await h2Request(
          session,
          { ...base, ':method': 'POST', 'content-type': 'application/json', accept: ACCEPT_BOTH, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
          JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
        );
        expect(initialized.status).toBe(202);
        return id;
      }),
    );
    const streams = sessionIds.map((id) => openSse(session, { ...base, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' }));
    expect(await Promise.all(streams.map((sse) => sse.status))).toEqual(Array(STREAMS).fill(200));
    // Every stream is primed (id and retry) while all of them are open at once.
    await Promise.all(streams.map((sse) => sse.until('retry:')));
    expect(streams.every((sse) => !sse.stream.closed)).toBe(true);

    // Fifty tool calls on the same connection while the GET streams stay open; the list change each
    // upstream announces arrives on the call's stream if the call is still in flight, else on the GET stream.
    const calls = await Promise.all(
      sessionIds.map((id, index) =>
        h2Request(
          session,
          { ...base, ':method': 'POST', 'content-type': 'application/json', accept: ACCEPT_BOTH, 'mcp-session-id': id, 'mcp-protocol-version': '2025-11-25' },
          JSON.stringify({ jsonrpc: '2.0', id: index, method: 'tools/call', params: { name: 'toggle_extra_tool', arguments: {} } }),
        ),
      ),
    );
    for (const call of calls) {
      // SSE when the list change came first on the call's stream, else one JSON body.
      expect(call.headers['content-type']).toMatch(call.text.includes('notifications/tools/list_changed') ? /^text\/event-stream/ : /^(application\/json|text\/event-stream)/);
      expect(call.text).toContain('extra_tool enabled');
    }
    await Promise.all(calls.map((call, index) => (call.text.includes('notifications/tools/list_changed') ? undefined : streams[index]!.until('notifications/tools/list_changed'))));
    // The GET streams are still open and still delivering.
    await Promise.all(streams.map((sse) => sse.until(': keep-alive')));
    expect(streams.every((sse) => !sse.stream.closed)).toBe(true);

    for (const sse of streams) sse.stream.close();
    session.close();
  });

  it('serves HTTP/1.1 clients on the same TLS port', async () => {
    const url = new URL(world.serverUrl('web'));
    const token = await world.token(url.href);
    const answer = await new Promise<{ version: string; status: number; sessionId: string | undefined }>((resolve, reject) => {
      const request = httpsRequest(url, { method: 'POST', ca, headers: { 'content-type': 'application/json', accept: ACCEPT_BOTH, authorization: `Bearer ${token}` } }, (response) => {
        response.resume();
        response.once('end', () => resolve({ version: response.httpVersion, status: response.statusCode ?? 0, sessionId: response.headers['mcp-session-id'] as string | undefined }));
      });
      request.once('error', reject);
      request.end(initializeBody());
    });
    expect(answer).toMatchObject({ version: '1.1', status: 200 });
    expect(answer.sessionId).toBeTruthy();
  });
});
