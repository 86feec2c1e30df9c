#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { createFixtureServer } from './fixture-server.js';
import { startFixtureHttp } from './http-host.js';

// `node tools/mcp-fixture/dist/main.js --stdio` or `--http --port N [--host H] [--page-size K] [--name X]`.
// Status lines go to stderr: over stdio, stdout belongs to the protocol.

const usage = 'usage: mcp-fixture (--stdio | --http --port N [--host 127.0.0.1]) [--page-size K] [--name NAME]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stdio: { type: 'boolean', default: false },
      http: { type: 'boolean', default: false },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'page-size': { type: 'string' },
      name: { type: 'string' },
    },
    strict: true,
  });
  const pageSize = values['page-size'] === undefined ? undefined : Number(values['page-size']);
  if (values.stdio === values.http || (pageSize !== undefined && !(Number.isInteger(pageSize) && pageSize > 0))) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  const fixture = { ...(pageSize ? { pageSize } : {}), ...(values.name ? { name: values.name } : {}) };
  if (values.stdio) {
    await createFixtureServer(fixture).connect(new StdioServerTransport());
    return;
  }
  const handle = await startFixtureHttp({ ...fixture, port: Number(values.port), host: values.host });
  process.stderr.write(`mcp-fixture listening on ${handle.url}\n`);
  const stop = () => void handle.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`mcp-fixture: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
