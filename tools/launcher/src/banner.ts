import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Infra, StartedApp } from '@airlock/platform';

/** What the "how to connect" part of the banner needs; present when the demo tenant has its servers. */
export interface DemoGuide {
  gatewayUrl: string;
  authUrl: string;
  notesUrl: string;
  /** The operator's admin client id, when configured (otherwise the generated one printed above). */
  adminClientId?: string | undefined;
}

const BRIDGE_BIN = fileURLToPath(new URL('../../bridge/bin/airlock.mjs', import.meta.url));

/** How to reach the demo tenant's tools, and how to host one's own server there. */
export function formatGuide(guide: DemoGuide): string[] {
  const mcpUrl = `${guide.gatewayUrl}/t/demo/mcp`;
  const adminId = guide.adminClientId ?? 'airlock-admin';
  const body = JSON.stringify({ name: 'my-server', transport: 'http', url: 'https://mcp.example.com/mcp' });
  return [
    'Connect to the demo tenant (sign in as the demo user; add_note asks for the extra scope notes:write):',
    `  MCP endpoint     ${mcpUrl}   (servers toolbox over stdio and notes at ${guide.notesUrl})`,
    `  MCP Inspector    npx @modelcontextprotocol/inspector   then Streamable HTTP, ${mcpUrl}, Connect`,
    `  MCP SDK          new StreamableHTTPClientTransport(new URL('${mcpUrl}'), { authProvider })`,
    `  stdio clients    node ${BRIDGE_BIN} connect ${mcpUrl}`,
    '',
    'Add your own MCP server to the demo tenant (admin API, with the admin client above):',
    `  TOKEN=$(curl -s -u ${adminId}:<admin client secret> -d grant_type=client_credentials -d scope=admin ${guide.authUrl}/t/admin/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')`,
    `  curl -X POST ${guide.authUrl}/admin/v1/tenants/demo/servers -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '${body}'`,
    '  (a server on this machine or your network: start Airlock with AIRLOCK_UPSTREAM_ALLOW_HOSTS=host:port first)',
  ];
}

/** The human-readable start banner: what runs where, the embedded demo credentials, how to connect. */
export function formatBanner(apps: readonly StartedApp[], infra: Pick<Infra, 'embedded'>, dataDir: string, guide?: DemoGuide): string {
  const embedded = infra.embedded;
  const backing = [
    embedded.database ? `PostgreSQL: embedded PGlite in ${resolve(dataDir, 'pg')}` : 'PostgreSQL: DATABASE_URL',
    embedded.hotStore ? 'hot store and queues: in process' : 'hot store and queues: REDIS_URL',
  ];
  const lines = [
    '',
    'Airlock is running',
    ...backing.map((line) => `  ${line}`),
    '',
    ...apps.flatMap((app) => [`  ${app.name.padEnd(15)} listening on ${app.url}`, ...app.banner.map((line) => `    ${line}`)]),
    '',
    ...(guide ? [...formatGuide(guide), ''] : []),
    'Press Ctrl-C to stop.',
    '',
  ];
  return lines.join('\n');
}
