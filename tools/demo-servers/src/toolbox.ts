import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';

/**
 * The demo tenant's stdio server: a few harmless tools, one resource and one prompt, so every MCP
 * feature the gateway relays has something to show. Nothing here touches the disk or the network.
 */
export function createToolboxServer(): McpServer {
  const server = new McpServer({ name: 'airlock-demo-toolbox', version: '0.1.0' });
  server.registerTool(
    'echo',
    { title: 'Echo', description: 'Returns the text it is given.', inputSchema: { text: z.string().max(10_000) } },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool('current_time', { title: 'Current time', description: 'The server clock, ISO 8601 in UTC.' }, () => ({
    content: [{ type: 'text', text: new Date().toISOString() }],
  }));
  server.registerTool('uuid', { title: 'UUID', description: 'A random version 4 UUID.' }, () => ({ content: [{ type: 'text', text: randomUUID() }] }));
  server.registerResource('about', 'toolbox://about', { title: 'About the toolbox', mimeType: 'text/plain' }, (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'The Airlock demo toolbox: a stdio MCP server the gateway runs for the demo tenant.' }],
  }));
  server.registerPrompt(
    'greet',
    { title: 'Greeting', description: 'Asks the model to greet someone.', argsSchema: { name: z.string().max(200) } },
    ({ name }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${name} in one short sentence.` } }] }),
  );
  return server;
}

/** The tools as the demo tenant's catalogue lists them (what consent shows; `mcp` is enough for all). */
export const TOOLBOX_CATALOGUE = [
  { name: 'echo', title: 'Echo', description: 'Returns the text it is given.', requiredScopes: ['mcp'] },
  { name: 'current_time', title: 'Current time', description: 'The server clock, ISO 8601 in UTC.', requiredScopes: ['mcp'] },
  { name: 'uuid', title: 'UUID', description: 'A random version 4 UUID.', requiredScopes: ['mcp'] },
];
