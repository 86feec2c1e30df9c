import { adminRoutes } from '@airlock/contracts';
import type { AdminCommand, OptionValues } from '../admin-command.js';
import { listOption, notePage, pageDetails, pageOptions, pageQuery, requireOne, stringOption } from '../admin-command.js';
import { ApiError, UsageError } from '../admin-errors.js';
import { formatRecord, formatTable } from '../admin-table.js';

type Server = { name: string; transport: string; url: string | null; command: string | null; args: string[]; credentialKind: string; hasSecrets: boolean; enabled: boolean };

/** Where a server is: its URL, or its command line. */
const target = (server: Server) => server.url ?? [server.command, ...server.args].join(' ');
const credentials = (server: Server) => (server.hasSecrets ? `${server.credentialKind} (sealed)` : server.credentialKind);

const serverColumns = [
  { header: 'name', value: (server: Server) => server.name },
  { header: 'transport', value: (server: Server) => server.transport },
  { header: 'enabled', value: (server: Server) => (server.enabled ? 'yes' : 'no') },
  { header: 'credentials', value: credentials },
  { header: 'target', value: target },
];

/** `--env K=V`, or `--env K` to pass this shell's value of K on (so a secret need not be on the command line). */
function stdioEnv(entries: string[], env: NodeJS.ProcessEnv): Record<string, string> | undefined {
  if (entries.length === 0) return undefined;
  const result: Record<string, string> = {};
  for (const entry of entries) {
    const at = entry.indexOf('=');
    const name = at === -1 ? entry : entry.slice(0, at);
    const value = at === -1 ? env[name] : entry.slice(at + 1);
    if (value === undefined) throw new UsageError(`--env ${name}: not set in this environment (give --env ${name}=<value>, or export it)`);
    result[name] = value;
  }
  return result;
}

/** `--header 'Name: value'`, or `--header Name` to take the value from $AIRLOCK_UPSTREAM_HEADER_VALUE. */
function staticHeader(spec: string, env: NodeJS.ProcessEnv): { name: string; value: string } {
  const at = spec.indexOf(':');
  if (at === -1) {
    const value = env['AIRLOCK_UPSTREAM_HEADER_VALUE'];
    if (value === undefined) throw new UsageError(`--header ${spec}: give 'Name: value', or set AIRLOCK_UPSTREAM_HEADER_VALUE`);
    return { name: spec.trim(), value };
  }
  return { name: spec.slice(0, at).trim(), value: spec.slice(at + 1).trim() };
}

/** The createServer body the options describe; the route's schema judges it. */
export function serverBody(name: string, values: OptionValues, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const transport = requireOne(values, ['url', 'command']) === 'url' ? 'http' : 'stdio';
  const header = stringOption(values, 'header');
  const envSecrets = stdioEnv(listOption(values, 'env'), env);
  if (transport === 'http' && (envSecrets || listOption(values, 'arg').length > 0 || values['no-sandbox'] || listOption(values, 'read-only-path').length > 0)) {
    throw new UsageError('--arg, --env, --no-sandbox and --read-only-path are for stdio servers (--command)');
  }
  if (transport === 'stdio' && (header !== undefined || values['token-exchange'])) throw new UsageError('--header and --token-exchange are for http servers (--url)');
  if (header !== undefined && values['token-exchange']) throw new UsageError('give at most one of --header, --token-exchange');
  const body: Record<string, unknown> = { name, transport };
  if (transport === 'http') {
    body['url'] = stringOption(values, 'url');
    if (header !== undefined) Object.assign(body, { credentialKind: 'static_header', secrets: { header: staticHeader(header, env) } });
    if (values['token-exchange']) body['credentialKind'] = 'token_exchange';
  } else {
    body['command'] = stringOption(values, 'command');
    body['args'] = listOption(values, 'arg');
    if (envSecrets) body['secrets'] = { env: envSecrets };
    if (values['no-sandbox']) body['sandbox'] = false;
    const readOnlyPaths = listOption(values, 'read-only-path');
    if (readOnlyPaths.length > 0) body['readOnlyPaths'] = readOnlyPaths;
  }
  if (values['disabled']) body['enabled'] = false;
  if (typeof values['protocol-era'] === 'string') body['protocolEra'] = values['protocol-era'];
  return body;
}

export function serverCommands(env: NodeJS.ProcessEnv): AdminCommand[] {
  return [
    {
      resource: 'servers',
      action: 'list',
      synopsis: '<tenant> [--limit <n>] [--cursor <c>]',
      summary: "list a tenant's upstream MCP servers",
      positionals: ['tenant'],
      options: pageOptions,
      details: pageDetails,
      async run(args, values, context) {
        const { raw, data } = await context.api.call(adminRoutes.listServers, { params: { tenant: args['tenant']! }, query: pageQuery(values) });
        if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
        context.print(formatTable(data.items, serverColumns));
        notePage(context, data.nextCursor);
      },
    },
    {
      resource: 'servers',
      action: 'add',
      synopsis: '<tenant> <name> (--url <u> [--header <h> | --token-exchange] | --command <c> [--arg <a>]... [--env K=V]... [--no-sandbox] [--read-only-path <p>]...) [--protocol-era <e>] [--disabled]',
      summary: 'add an upstream MCP server (http or stdio)',
      positionals: ['tenant', 'name'],
      options: {
        url: { type: 'string' },
        header: { type: 'string' },
        'token-exchange': { type: 'boolean' },
        command: { type: 'string' },
        arg: { type: 'string', multiple: true },
        env: { type: 'string', multiple: true },
        'no-sandbox': { type: 'boolean' },
        'read-only-path': { type: 'string', multiple: true },
        'protocol-era': { type: 'string' },
        disabled: { type: 'boolean' },
      },
      details: [
        '--url <u>               an http server',
        "--header 'Name: value'  http: a static header sent upstream (sealed); --header Name takes the value",
        '                        from $AIRLOCK_UPSTREAM_HEADER_VALUE, off the command line',
        "--token-exchange        http: the gateway exchanges the user's token for one for this server",
        '--command <c>           a stdio server, started per session in the bubblewrap sandbox',
        '--arg <a>               stdio: one argument (repeat for more)',
        '--env K=V               stdio: an environment variable (sealed; repeat for more); --env K passes',
        "                        this shell's value of K",
        '--no-sandbox            stdio: run without the sandbox (an explicit opt-out)',
        '--read-only-path <p>    stdio: a host path the sandbox sees read-only (repeat for more)',
        '--protocol-era <e>      http: auto (detected on connect, the default), 2025-11-25 or 2026-07-28',
        '--disabled              add it switched off',
        'Upstream addresses are checked at registration: loopback and private addresses are refused unless',
        'the auth server allows them (AIRLOCK_UPSTREAM_ALLOW_HOSTS / AIRLOCK_UPSTREAM_ALLOW_CIDRS).',
      ],
      async run(args, values, context) {
        const body = serverBody(args['name']!, values, env);
        const { raw, data } = await context.api.call(adminRoutes.createServer, { params: { tenant: args['tenant']! }, body });
        if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
        context.print(formatRecord([['added server', data.name], ['transport', data.transport], ['target', target(data)], ['credentials', credentials(data)], ['enabled', data.enabled ? 'yes' : 'no']]));
      },
    },
    {
      resource: 'servers',
      action: 'test',
      synopsis: '<tenant> <name>',
      summary: 'test the connection to a server: a gateway connects, initializes and lists its tools',
      positionals: ['tenant', 'name'],
      options: {},
      details: [
        'A gateway replica connects to the saved server as a session would (http: its egress policy and the',
        "server's credentials; stdio: started in its sandbox), initializes, lists the tools and closes.",
        'Exit 0 when it went through; 1 when it failed (the failed stage, the reason code and message on',
        'stderr) or when no gateway answered. --json prints the result as the API gives it.',
      ],
      async run(args, _values, context) {
        const { raw, data } = await context.api.call(adminRoutes.testServer, { params: { tenant: args['tenant']!, name: args['name']! }, body: {} });
        const ms = (value: number | undefined) => (value === undefined ? '-' : `${value} ms`);
        if (context.json) context.print(JSON.stringify(raw, null, 2) + '\n');
        else {
          context.print(
            formatRecord([
              ['server', `${data.server} (${data.transport})`],
              ['result', data.ok ? 'ok' : `failed at ${data.stage}: ${data.error?.code ?? 'failed'}`],
              ...(data.error ? [['reason', data.error.message] as [string, string]] : []),
              ['initialize', ms(data.timings.initializeMs)],
              ['tools/list', ms(data.timings.toolsListMs)],
              ['total', ms(data.timings.totalMs)],
              ['protocol', data.protocolVersion ?? '-'],
              ['upstream', data.serverInfo ? `${data.serverInfo.name} ${data.serverInfo.version}` : '-'],
              ['tools', data.tools ? `${data.tools.count}${data.tools.names.length ? `: ${data.tools.names.join(', ')}` : ''}` : '-'],
            ]),
          );
        }
        if (!data.ok) throw new ApiError('upstream_test_failed', `${data.server} failed at ${data.stage}: ${data.error?.code ?? 'failed'}: ${data.error?.message ?? ''}`);
      },
    },
  ];
}
