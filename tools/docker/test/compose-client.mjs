// The container test's client (run by tools/docker/test/compose-test.sh on the host, against the stack
// docker-compose.yml started): everything goes through Caddy over HTTPS, trusting Caddy's internal CA the
// way a Node MCP client would, with NODE_EXTRA_CA_CERTS set to its root certificate.
//
//  1. HTTP/2 through Caddy with that trust (node:http2, ALPN h2), and the HTTP/3 advertisement (Alt-Svc).
//  2. As an operator: the bootstrap admin client's token, a tenant, a user and an upstream MCP server (the
//     project's MCP fixture, running as a container on the compose network) over the admin API.
//  3. As a user: the official MCP SDK client meets the gateway's 401, discovers the tenant's authorization
//     server, registers, signs in through the real login and consent pages, and calls a tool.
//  4. With several gateway replicas: calls in one session spread over replicas, and a tool call's SSE stream
//     dropped after its first event and resumed with Last-Event-ID lands on a replica other than the one
//     that took the call, and still gets the answer. Which replica served a request is read from its log
//     (the request ids this client sends); the script that started the stack passes the container names.
//
// Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
import { execFileSync } from 'node:child_process';
import { lookup as dnsLookup } from 'node:dns';
import { connect as http2Connect } from 'node:http2';
import { Agent, FormData, Headers, Request, Response, fetch as undiciFetch, setGlobalDispatcher } from 'undici';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MemoryOAuthProvider, signInAndApprove } from '@airlock/testing';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is required`);
  return value;
};
const authUrl = env('AIRLOCK_TEST_AUTH_URL');
const mcpUrl = env('AIRLOCK_TEST_MCP_URL');
const admin = { id: env('AIRLOCK_TEST_ADMIN_ID'), secret: env('AIRLOCK_TEST_ADMIN_SECRET') };
const upstreamUrl = env('AIRLOCK_TEST_UPSTREAM_URL');
const replicaContainers = (process.env.AIRLOCK_TEST_GATEWAY_CONTAINERS ?? '').split(',').filter(Boolean);
const containerCli = process.env.AIRLOCK_TEST_CONTAINER_CLI ?? 'podman';
const tenant = 'acme';
const user = { email: 'dana@acme.example', password: 'container-test-password-0123' };

// The public hostnames resolve to this machine's loopback (where Caddy's port is published), as DNS would
// point them at the host running Caddy. Nothing else is redirected.
const local = new Set([new URL(authUrl).hostname, new URL(mcpUrl).hostname]);
function lookup(hostname, options, callback) {
  if (typeof options === 'function') [callback, options] = [options, {}];
  if (!local.has(hostname)) return dnsLookup(hostname, options, callback);
  return options?.all ? callback(null, [{ address: '127.0.0.1', family: 4 }]) : callback(null, '127.0.0.1', 4);
}
// HTTP/2 when Caddy offers it (ALPN), for the SDK client and every fetch here.
// Every fetch global from the one undici, so `instanceof Response` in the SDK holds.
setGlobalDispatcher(new Agent({ allowH2: true, connect: { lookup } }));
Object.assign(globalThis, { fetch: undiciFetch, Response, Request, Headers, FormData });

let passed = 0;
let failed = 0;
async function check(name, body) {
  const started = Date.now();
  try {
    await body();
    passed += 1;
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${name}: ${error instanceof Error ? error.stack : String(error)}`);
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}

// --- 1. HTTP/2 and HTTP/3 advertisement ----------------------------------------------------------------
await check('HTTPS with HTTP/2 through Caddy, trusting its internal CA (NODE_EXTRA_CA_CERTS)', async () => {
  assert(process.env.NODE_EXTRA_CA_CERTS, 'NODE_EXTRA_CA_CERTS is not set');
  for (const base of [authUrl, mcpUrl]) {
    const session = http2Connect(base, { lookup });
    try {
      const headers = await new Promise((resolve, reject) => {
        session.once('error', reject);
        const request = session.request({ ':path': '/healthz' });
        request.once('response', resolve).once('error', reject);
        request.resume();
        request.end();
      });
      assert(session.alpnProtocol === 'h2', `${base}: ALPN ${session.alpnProtocol}`);
      assert(headers[':status'] === 200, `${base}/healthz answered ${headers[':status']}`);
      const altSvc = String(headers['alt-svc'] ?? '');
      assert(new RegExp(`h3=":${new URL(base).port || 443}"`).test(altSvc), `${base}: no HTTP/3 advertisement for the published port: alt-svc ${altSvc}`);
    } finally {
      session.close();
    }
  }
});

// --- 2. Operator: tenant, user, upstream over the admin API --------------------------------------------
let adminToken;
const adminCall = async (method, path, body) => {
  const response = await fetch(`${authUrl}/admin/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${adminToken}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : {} };
};
await check('admin API: bootstrap admin token, tenant, user and upstream server', async () => {
  const token = await fetch(`${authUrl}/t/admin/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(admin.id)}:${encodeURIComponent(admin.secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'admin' }),
  });
  const issued = await token.json();
  assert(token.status === 200, `admin token: ${token.status} ${JSON.stringify(issued)}`);
  adminToken = issued.access_token;
  const created = await adminCall('POST', '/tenants', { slug: tenant, displayName: 'Acme' });
  assert(created.status === 201, `tenant: ${created.status} ${JSON.stringify(created.json)}`);
  const member = await adminCall('POST', `/tenants/${tenant}/users`, user);
  assert(member.status === 201, `user: ${member.status} ${JSON.stringify(member.json)}`);
  const server = await adminCall('POST', `/tenants/${tenant}/servers`, { name: 'fixture', transport: 'http', url: upstreamUrl });
  assert(server.status === 201, `server: ${server.status} ${JSON.stringify(server.json)}`);
  const metadata = await fetch(`${authUrl}/.well-known/oauth-authorization-server/t/${tenant}`);
  assert((await metadata.json()).issuer === `${authUrl}/t/${tenant}`, 'the tenant issuer is not the public URL');
});

// --- 3. User: the SDK client's OAuth flow, then a tool call ---------------------------------------------
const aggregated = `${mcpUrl}/t/${tenant}/mcp`;
const provider = new MemoryOAuthProvider('container test');
let client;
await check('MCP SDK client: OAuth (discovery, registration, login, consent) and a tool call through Caddy', async () => {
  const first = new Client({ name: 'container-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(aggregated), { authProvider: provider });
  const refused = await first.connect(transport).then(() => undefined, (error) => error);
  assert(refused instanceof UnauthorizedError, `expected the 401 dance, got ${refused}`);
  assert(provider.authorizationUrl.origin === new URL(authUrl).origin, `authorization at ${provider.authorizationUrl.origin}`);
  const callback = await signInAndApprove(provider.authorizationUrl, user);
  await transport.finishAuth(callback.searchParams.get('code'));
  client = new Client({ name: 'container-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(aggregated), { authProvider: provider }));
  const names = [];
  let cursor;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    names.push(...page.tools.map((tool) => tool.name));
    cursor = page.nextCursor;
  } while (cursor);
  assert(names.includes('fixture__echo'), `tools: ${names.join(', ')}`);
  const result = await client.callTool({ name: 'fixture__echo', arguments: { text: 'through Caddy' } });
  assert(result.content?.[0]?.text === 'through Caddy', JSON.stringify(result));
});

// --- 4. Replicas ------------------------------------------------------------------------------------------
const logsOf = (container) => execFileSync(containerCli, ['logs', container], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
const servedBy = (requestId) => {
  const found = replicaContainers.filter((container) => {
    const text = logsOf(container);
    return text.includes(`"request_id":"${requestId}"`);
  });
  return found;
};

if (replicaContainers.length > 1) {
  await check(`${replicaContainers.length} gateway replicas: one session's calls are served by several of them`, async () => {
    const replicaClient = new Client({ name: 'container-test-replicas', version: '1.0.0' });
    let n = 0;
    const ids = [];
    await replicaClient.connect(
      new StreamableHTTPClientTransport(new URL(aggregated), {
        authProvider: provider,
        // Each request tagged with an id the replica that serves it logs.
        fetch: (input, init) => {
          const id = `ct-calls-${Date.now()}-${n++}`;
          ids.push(id);
          const headers = new Headers(init?.headers);
          headers.set('x-request-id', id);
          return fetch(input, { ...init, headers });
        },
      }),
    );
    for (let call = 0; call < 6; call++) {
      const result = await replicaClient.callTool({ name: 'fixture__echo', arguments: { text: `call ${call}` } });
      assert(result.content?.[0]?.text === `call ${call}`, JSON.stringify(result));
    }
    await replicaClient.close();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const replicas = new Set(ids.flatMap(servedBy));
    assert(replicas.size >= 2, `every request of the session went to ${[...replicas].join(', ') || 'no replica found in the logs'}`);
    console.log(`     served by ${replicas.size} replicas: ${[...replicas].join(', ')}`);
  });
}

// A raw SSE reader: events until `enough` says stop or the stream ends, then the stream is cancelled.
async function readEvents(response, enough) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const events = [];
  let buffer = '';
  try {
    while (!enough(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replaceAll('\r\n', '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = { data: '' };
        for (const line of block.split('\n')) {
          if (line.startsWith(':') || line === '') continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') event.id = value;
          else if (field === 'data') event.data = event.data ? `${event.data}\n${value}` : value;
        }
        events.push(event);
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return events;
}
const resultOf = (events, id) =>
  events.map((event) => (event.data ? JSON.parse(event.data) : {})).find((message) => message.id === id && ('result' in message || 'error' in message));

if (replicaContainers.length > 1) {
  await check('a tool call\'s SSE stream dropped after its first event resumes (Last-Event-ID) on another replica', async () => {
    const token = (await provider.tokens()).access_token;
    const base = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await fetch(aggregated, {
      method: 'POST',
      headers: base,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'resume', version: '1.0.0' } } }),
    });
    assert(init.status === 200, `initialize: ${init.status}`);
    await init.text();
    const headers = { ...base, 'mcp-session-id': init.headers.get('mcp-session-id'), 'mcp-protocol-version': '2025-11-25' };
    await (await fetch(aggregated, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) })).text();
    const crossed = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const id = 100 + attempt;
      const tag = `ct-${Date.now()}-${attempt}`;
      const call = await fetch(aggregated, {
        method: 'POST',
        headers: { ...headers, 'x-request-id': `${tag}-call` },
        body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'fixture__slow', arguments: { ms: 1500 } } }),
      });
      assert(call.status === 200 && call.headers.get('content-type')?.startsWith('text/event-stream'), `call: ${call.status} ${call.headers.get('content-type')}`);
      // Drop the stream right after the priming event, long before the answer exists.
      const [priming] = await readEvents(call, (events) => events.length >= 1);
      assert(priming?.id, `no priming event id: ${JSON.stringify(priming)}`);
      const resumed = await fetch(aggregated, { headers: { ...headers, accept: 'text/event-stream', 'last-event-id': priming.id, 'x-request-id': `${tag}-resume` } });
      assert(resumed.status === 200, `resume: ${resumed.status}`);
      const events = await readEvents(resumed, (seen) => resultOf(seen, id) !== undefined);
      const result = resultOf(events, id);
      assert(result?.result?.content?.[0]?.text === 'slow done', `resumed stream ended without the answer: ${JSON.stringify(events)}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const [callOn] = servedBy(`${tag}-call`);
      const [resumeOn] = servedBy(`${tag}-resume`);
      assert(callOn && resumeOn, `the replicas' logs do not name ${tag}: call ${callOn}, resume ${resumeOn}`);
      console.log(`     attempt ${attempt}: call on ${callOn}, resumed on ${resumeOn}`);
      if (callOn !== resumeOn) crossed.push(attempt);
    }
    assert(crossed.length > 0, 'every resumption landed on the replica that took the call');
  });
}

console.log(`${passed} passed, ${failed} failed`);
await client?.close().catch(() => undefined);
process.exit(failed === 0 ? 0 : 1);
