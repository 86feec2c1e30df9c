// A stdio MCP server with no dependencies (so its sandbox needs nothing but this file and node) whose
// tools report what the process can see: a file's contents, a directory's entries, its environment and
// its parent's pid. With `--crash` it writes to stderr and exits before reading anything.
import { readFileSync, readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';

if (process.argv.includes('--crash')) {
  process.stderr.write('probe: starting\n');
  process.stderr.write('probe: cannot reach the registry: self-signed certificate in certificate chain\n');
  process.exit(3);
}

const attempt = (action) => {
  try {
    return { ok: true, value: action() };
  } catch (error) {
    return { ok: false, error: error.code ?? String(error) };
  }
};

const tools = {
  read_file: (args) => attempt(() => readFileSync(args.path, 'utf8')),
  list_dir: (args) => attempt(() => readdirSync(args.path).sort()),
  environment: () => ({ ok: true, value: process.env }),
  whoami: () => ({ ok: true, value: { pid: process.pid, ppid: process.ppid, uid: process.getuid(), cwd: process.cwd() } }),
};
const schema = { type: 'object', properties: { path: { type: 'string' } } };

const send = (message) => process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const { id, method, params } = JSON.parse(line);
  if (id === undefined) return;
  if (method === 'initialize') {
    send({ id, result: { protocolVersion: params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: 'probe', version: '1.0.0' } } });
  } else if (method === 'ping') {
    send({ id, result: {} });
  } else if (method === 'tools/list') {
    send({ id, result: { tools: Object.keys(tools).map((name) => ({ name, inputSchema: schema })) } });
  } else if (method === 'tools/call' && tools[params.name]) {
    send({ id, result: { content: [{ type: 'text', text: JSON.stringify(tools[params.name](params.arguments ?? {})) }] } });
  } else {
    send({ id, error: { code: -32601, message: `no method ${method}` } });
  }
});
