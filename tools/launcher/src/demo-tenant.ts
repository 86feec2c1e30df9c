import { fileURLToPath } from 'node:url';
import type { DemoUpstream } from '@airlock/auth-server';
import { NOTES_CATALOGUE, TOOLBOX_CATALOGUE } from '@airlock/demo-servers';

/** The demo servers' package: the toolbox's entry point lives in its dist/. */
export const DEMO_SERVERS_DIR = fileURLToPath(new URL('../../demo-servers/', import.meta.url));
export const TOOLBOX_MAIN = fileURLToPath(new URL('../../demo-servers/dist/toolbox-main.js', import.meta.url));

/**
 * What `npm start` seeds into the demo tenant: the `toolbox` over stdio (the gateway starts it with this
 * Node) and the `notes` server over HTTP that the launcher runs at `notesUrl`. The one place to add
 * per-upstream options: a sandbox for the stdio server (its read-only paths are DEMO_SERVERS_DIR and the
 * node_modules it imports), or the notes host:port on an egress allow-list.
 */
export function demoUpstreams(notesUrl: string): DemoUpstream[] {
  return [
    { name: 'toolbox', transport: 'stdio', command: process.execPath, args: [TOOLBOX_MAIN], tools: TOOLBOX_CATALOGUE },
    { name: 'notes', transport: 'http', url: notesUrl, tools: NOTES_CATALOGUE },
  ];
}
