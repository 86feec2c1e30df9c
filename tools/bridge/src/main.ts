#!/usr/bin/env node
// The `airlock` bin's commands: `airlock admin ...` is the admin CLI; everything else is the bridge
// (`airlock connect <mcp-url>`, unchanged). Each is loaded only when used, so the bridge never loads the
// admin API's contracts and the admin CLI never loads the MCP SDK.

if (process.argv[2] === 'admin') {
  const { runAdminCli } = await import('./admin/admin-cli.js');
  const code = await runAdminCli(process.argv.slice(3), { env: process.env, stdout: process.stdout, stderr: process.stderr });
  // Open keep-alive sockets would hold the process; the output is written by now.
  process.exit(code);
} else {
  await import('./connect-main.js');
}
