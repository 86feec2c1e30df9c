import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import { AdminApiClient } from './admin-api-client.js';
import type { AdminCommand, CommandContext, OptionValues } from './admin-command.js';
import { AdminCliError, ExitCode, UsageError } from './admin-errors.js';
import { adminHelp, resourceHelp } from './admin-help.js';
import { connectionFrom } from './admin-connection.js';
import { adminPrincipalCommands } from './commands/admins.js';
import { clientCommands } from './commands/clients.js';
import { idJagCommands } from './commands/id-jag.js';
import { identityProviderCommands } from './commands/identity-providers.js';
import { loginCommands } from './commands/login.js';
import { routesCommand } from './commands/routes.js';
import { scimTokenCommands } from './commands/scim-tokens.js';
import { serverCommands } from './commands/servers.js';
import { tenantCommands } from './commands/tenants.js';
import { toolCommands } from './commands/tools.js';
import { auditCommands } from './commands/audit.js';
import { metricsCommands } from './commands/metrics.js';
import { pinningCommand, policyCommands } from './commands/policy.js';
import { sessionCommands } from './commands/sessions.js';
import { userCommands } from './commands/users.js';

// `airlock admin <resource> <action> ...`: finds the command, parses its arguments, runs it, and turns
// every failure into one line on stderr and an exit code (never a stack trace).

export interface AdminCliIo {
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
}

const globalOptions = { json: { type: 'boolean' }, 'auth-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

/** The first two words that are not options (skipping --auth-url's value): the resource and the action. */
function commandWords(args: readonly string[]): string[] {
  const words: string[] = [];
  for (let index = 0; index < args.length && words.length < 2; index++) {
    const arg = args[index]!;
    if (arg === '--') break;
    if (arg === '--auth-url') index++;
    else if (!arg.startsWith('-')) words.push(arg);
  }
  return words;
}

function parse(command: AdminCommand, args: string[]): { args: Record<string, string>; values: OptionValues } {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...globalOptions, ...command.options }, allowPositionals: true, strict: command.strict ?? true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument.*$/, ''));
  }
  const words = command.action ? 2 : 1;
  const given = parsed.positionals.slice(words);
  const name = [command.resource, command.action].filter(Boolean).join(' ');
  const fewest = command.positionals.length - (command.optionalPositionals ?? 0);
  if ((command.strict ?? true) && (given.length < fewest || given.length > command.positionals.length)) {
    throw new UsageError(`${name} takes ${command.positionals.map((positional) => `<${positional}>`).join(' ') || 'no arguments'} (airlock admin ${command.resource} --help)`);
  }
  return { args: Object.fromEntries(command.positionals.map((positional, index) => [positional, given[index] ?? ''])), values: parsed.values as OptionValues };
}

function write(stream: Writable, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(text, () => resolve()));
}

export async function runAdminCli(args: string[], io: AdminCliIo): Promise<number> {
  // A reader that stops early (`| head`) closes the pipe: that ends the output, not with a stack trace.
  for (const stream of [io.stdout, io.stderr]) stream.on('error', () => undefined);
  const commands: AdminCommand[] = [...tenantCommands, ...serverCommands(io.env), ...toolCommands, ...clientCommands, ...userCommands, ...sessionCommands, ...auditCommands, ...scimTokenCommands, ...idJagCommands, routesCommand];
  // Tool-call metrics (its own line: this list is where every helper adds commands).
  commands.push(...metricsCommands);
  // Call policy and the pinning policy of tool definitions (issue 17).
  commands.push(...policyCommands, pinningCommand);
  // Enterprise sign-in: identity providers, group mappings, the local-passwords switch.
  commands.push(...identityProviderCommands(io.env));
  const pending: Promise<void>[] = [];
  const [resource, action] = commandWords(args);
  const help = args.includes('--help') || args.includes('-h');
  // The admin principals and roles, and a person's sign-in.
  commands.push(...adminPrincipalCommands(io.env), ...loginCommands(io.env));
  try {
    const ofResource = commands.filter((command) => command.resource === resource);
    if (!resource || ofResource.length === 0) {
      if (help || !resource) {
        await write(help ? io.stdout : io.stderr, adminHelp(commands));
        return help ? ExitCode.ok : ExitCode.usage;
      }
      throw new UsageError(`unknown command ${resource} (airlock admin --help lists them)`);
    }
    const command = ofResource.find((candidate) => candidate.action === (candidate.action ? action : candidate.action));
    if (help) {
      await write(io.stdout, resourceHelp(resource, ofResource));
      return ExitCode.ok;
    }
    if (!command) {
      const actions = ofResource.map((candidate) => candidate.action).join('|');
      throw new UsageError(action ? `unknown command ${resource} ${action} (${resource} ${actions})` : `${resource} needs an action: ${actions}`);
    }
    const { args: positionals, values } = parse(command, args);
    const context: CommandContext = {
      api: new AdminApiClient(connectionFrom(io.env, typeof values['auth-url'] === 'string' ? values['auth-url'] : undefined)),
      json: values['json'] === true,
      print: (text) => void pending.push(write(io.stdout, text)),
      note: (line) => void pending.push(write(io.stderr, `airlock: ${line}\n`)),
    };
    await command.run(positionals, values, context);
    await Promise.all(pending);
    return ExitCode.ok;
  } catch (error) {
    await Promise.all(pending);
    if (error instanceof AdminCliError) {
      await write(io.stderr, `airlock: ${error.error}: ${error.description}\n`);
      return error.exitCode;
    }
    // A defect of the CLI itself: still one line, no stack.
    await write(io.stderr, `airlock: internal_error: ${(error as Error)?.message ?? String(error)}\n`);
    return ExitCode.failed;
  }
}
