import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { serveCpuReports } from './cpu-report.js';

// The baseline: the MCP SDK's usual stateful pattern (one transport and one McpServer per session,
// sessions in a process map), with a no-op tool. Run as a child process so its CPU time is its own.
// argv: <port> <json|sse>

const port = Number(process.argv[2] ?? 0);
const jsonResponses = process.argv[3] !== 'sse';
const transports = new Map<string, StreamableHTTPServerTransport>();

function newSessionServer(): McpServer {
  const server = new McpServer({ name: 'bare-sdk-baseline', version: '1.0.0' });
  server.registerTool('noop', { description: 'Does nothing.' }, async () => ({ content: [{ type: 'text', text: 'ok' }] }));
  return server;
}

const http = createServer(async (req, res) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
  const sessionId = req.headers['mcp-session-id'];
  let transport = typeof sessionId === 'string' ? transports.get(sessionId) : undefined;
  if (!transport && req.method === 'POST' && isInitializeRequest(body)) {
    const created = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      enableJsonResponse: jsonResponses,
      onsessioninitialized: (id) => void transports.set(id, created),
    });
    created.onclose = () => {
      if (created.sessionId) transports.delete(created.sessionId);
    };
    await newSessionServer().connect(created);
    transport = created;
  }
  if (!transport) {
    res.writeHead(sessionId ? 404 : 400, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","error":{"code":-32000,"message":"no session"},"id":null}');
    return;
  }
  await transport.handleRequest(req, res, body);
});

http.listen(port, '127.0.0.1', () => {
  const address = http.address();
  serveCpuReports({ port: typeof address === 'object' && address ? address.port : port, sessions: () => transports.size });
});
