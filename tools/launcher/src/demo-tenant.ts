import { fileURLToPath } from 'node:url';
import type { DemoUpstream } from '@airlock/auth-server';
import { NOTES_CATALOGUE, TOOLBOX_CATALOGUE } from '@airlock/demo-servers';

// start.ts loads the demo servers only through this module (it lazy-loads everything heavy).
export { startNotesServer } from '@airlock/demo-servers';

/** The demo servers' package: the toolbox's entry point lives in its dist/. */
export const DEMO_SERVERS_DIR = fileURLToPath(new URL('../../demo-servers', import.meta.url));
export const TOOLBOX_MAIN = fileURLToPath(new URL('../../demo-servers/dist/toolbox-main.js', import.meta.url));
/** The checkout's node_modules, where the toolbox's imports (the MCP SDK, zod) resolve. */
const ROOT_NODE_MODULES = fileURLToPath(new URL('../../../node_modules', import.meta.url));

/**
 * What `npm start` seeds into the demo tenant: the `toolbox` over stdio (the gateway starts it with this
 * Node, sandboxed like any stdio server, seeing only its own package and the modules it imports) and the
 * `notes` server over HTTP that the launcher runs at `notesUrl` (a loopback address, which the launcher puts
 * on the gateway's egress allow-list).
 */
export function demoUpstreams(notesUrl: string): DemoUpstream[] {
  return [
    { name: 'toolbox', transport: 'stdio', command: process.execPath, args: [TOOLBOX_MAIN], sandbox: true, readOnlyPaths: [DEMO_SERVERS_DIR, ROOT_NODE_MODULES], tools: TOOLBOX_CATALOGUE },
    { name: 'notes', transport: 'http', url: notesUrl, tools: NOTES_CATALOGUE },
  ];
}
