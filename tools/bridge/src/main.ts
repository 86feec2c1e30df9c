#!/usr/bin/env node
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBridge } from './bridge.js';

// `airlock connect <mcp-url> [--token-file PATH]`: give a local MCP client (configured to run this over
// stdio) an Airlock endpoint. Status goes to stderr; stdout carries only MCP messages.

const usage = 'usage: airlock connect <mcp-url> [--token-file ~/.config/airlock/tokens.json]';

function parsed() {
  try {
    return parseArgs({ allowPositionals: true, options: { 'token-file': { type: 'string' }, 'loopback-port': { type: 'string' }, help: { type: 'boolean' } } });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${usage}\n`);
    process.exit(2);
  }
}

const { values, positionals } = parsed();
const [command, url] = positionals;
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
if (command !== 'connect' || !url || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
  process.stderr.write(`${usage}\n`);
  process.exit(2);
}
const bridge = await runBridge({
  url,
  tokenFile: values['token-file'] ?? join(homedir(), '.config', 'airlock', 'tokens.json'),
  log: (line) => process.stderr.write(`${line}\n`),
  ...(values['loopback-port'] ? { loopbackPort: Number(values['loopback-port']) } : {}),
});
await bridge.closed;
process.exit(0);
