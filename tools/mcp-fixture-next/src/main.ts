#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { serveStdio } from '@modelcontextprotocol/server/stdio';
import { createFixtureState, createNextFixtureServer } from './fixture-server.js';
import { startNextFixtureHttp } from './http-host.js';

// `node tools/mcp-fixture-next/dist/main.js --stdio` or `--http --port N [--host H] [--name X] [--modern-only]`.
// Status lines go to stderr: over stdio, stdout belongs to the protocol.

const usage = 'usage: mcp-fixture-next (--stdio | --http --port N [--host 127.0.0.1]) [--name NAME] [--modern-only]';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stdio: { type: 'boolean', default: false },
      http: { type: 'boolean', default: false },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      name: { type: 'string' },
      'modern-only': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.stdio === values.http) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  const fixture = values.name ? { name: values.name } : {};
  if (values.stdio) {
    const state = createFixtureState(fixture);
    serveStdio(() => createNextFixtureServer(state, fixture), { legacy: values['modern-only'] ? 'reject' : 'serve' });
    return;
  }
  const handle = await startNextFixtureHttp({ ...fixture, port: Number(values.port), host: values.host, legacy: values['modern-only'] ? 'reject' : 'stateless' });
  process.stderr.write(`mcp-fixture-next listening on ${handle.url}\n`);
  const stop = () => void handle.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`mcp-fixture-next: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
