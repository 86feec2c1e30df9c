import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runBridge } from './bridge.js';
import { DEFAULT_LOOPBACK_PORT, LoopbackPortBusyError } from './loopback-receiver.js';

// `airlock connect <mcp-url>`: give a local MCP client (configured to run this over stdio) an Airlock
// endpoint. Status goes to stderr; stdout carries only MCP messages. Run through bin/airlock.mjs (main.ts
// sends every command but `admin` here).

const usage = `usage: airlock connect <mcp-url> [options]
       airlock admin <command> ...   (the admin CLI: airlock admin --help)

Relays a local stdio MCP client to an Airlock MCP endpoint, signing in with OAuth in the browser.

options:
  --token-file <path>      where the registration and tokens are kept (default ~/.config/airlock/tokens.json)
  --loopback-port <port>   the port of the sign-in redirect on 127.0.0.1 (default ${DEFAULT_LOOPBACK_PORT}); keep it
                           fixed so the registration and tokens are reused; bridges running at the same
                           time need different ports
  --help                   this text`;

function fail(message: string, code: number): never {
  process.stderr.write(`${message}\n`);
  process.exit(code);
}

function parsed() {
  try {
    return parseArgs({ allowPositionals: true, options: { 'token-file': { type: 'string' }, 'loopback-port': { type: 'string' }, help: { type: 'boolean' } } });
  } catch (error) {
    return fail(`${(error as Error).message}\n${usage}`, 2);
  }
}

const { values, positionals } = parsed();
const [command, url] = positionals;
if (values.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
if (command !== 'connect' || !url || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) fail(usage, 2);
const loopbackPort = values['loopback-port'] === undefined ? DEFAULT_LOOPBACK_PORT : Number(values['loopback-port']);
if (!Number.isInteger(loopbackPort) || loopbackPort < 0 || loopbackPort > 65535) fail('airlock: --loopback-port must be a port number (0: any free port, which registers anew each run)', 2);

let bridge;
try {
  bridge = await runBridge({
    url,
    tokenFile: values['token-file'] ?? join(homedir(), '.config', 'airlock', 'tokens.json'),
    log: (line) => process.stderr.write(`${line}\n`),
    loopbackPort,
  });
} catch (error) {
  if (error instanceof LoopbackPortBusyError) fail(`airlock: ${error.message}`, 1);
  throw error;
}
// The MCP host closing our stdin is how it says it is done: end the session and exit.
if (process.stdin.readableEnded) void bridge.close();
else process.stdin.once('end', () => void bridge.close());
await bridge.closed;
process.exit(0);
