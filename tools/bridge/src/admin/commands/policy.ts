import { readFile, writeFile } from 'node:fs/promises';
import { adminRoutes } from '@airlock/contracts';
import type { CallPolicy } from '@airlock/contracts';
import type { AdminCommand, CommandContext, OptionValues } from '../admin-command.js';
import { listOption, stringOption } from '../admin-command.js';
import { UsageError } from '../admin-errors.js';
import { formatRecord } from '../admin-table.js';

// `airlock admin policy get|put|evaluate`: a tenant's call policy (Cedar rules the gateway evaluates on
// every tools/call), kept in a file an operator edits and reviews like code.

/** `on`/`off` (or true/false, yes/no) as a boolean; undefined when the option was not given. */
function switchOption(values: OptionValues, name: string): boolean | undefined {
  const value = stringOption(values, name);
  if (value === undefined) return undefined;
  if (['on', 'true', 'yes'].includes(value)) return true;
  if (['off', 'false', 'no'].includes(value)) return false;
  throw new UsageError(`--${name} takes on or off`);
}

/** A whole number for the schema to judge (anything else is passed as it was given, and refused by it). */
function numberOption(values: OptionValues, name: string): number | string | undefined {
  const value = stringOption(values, name);
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : value;
}

async function readPolicyFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function summary(policy: CallPolicy): string {
  return formatRecord([
    ['tenant', policy.tenant],
    ['version', policy.version],
    ['default', policy.defaultEffect],
    ['rules', policy.rules.join(', ') || '(none)'],
    ['record arguments', policy.recordArguments ? 'on' : 'off'],
    ['redacted keys', policy.redactedKeys.length > 0 ? policy.redactedKeys.join(', ') : '(built-in patterns)'],
    ['updated by', policy.updatedBy],
    ['updated at', policy.updatedAt],
  ]);
}

function printPolicy(context: CommandContext, raw: unknown, policy: CallPolicy): void {
  if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
  context.print(summary(policy));
}

/** `tools pinning`: the tenant's pinned tool definitions policy (its own resource word is `tools`). */
export const pinningCommand: AdminCommand = {
  resource: 'tools',
  action: 'pinning',
  synopsis: '<tenant> [--mode withhold|flag] [--approve-new-tools on|off]',
  summary: 'show or set what gateways do with a tool whose definition changed (withhold or flag) and with new tools',
  positionals: ['tenant'],
  options: { mode: { type: 'string' }, 'approve-new-tools': { type: 'string' } },
  details: [
    '--mode withhold          a changed tool is left out of lists and its calls refused until approved (the default)',
    '--mode flag              a changed tool is served, marked in _meta["airlock/tool-pin"]',
    '--approve-new-tools on   a tool never seen before also waits for approval (off: trusted on first use)',
    'Without options: prints the current setting.',
  ],
  async run(args, values, context) {
    const tenant = args['tenant']!;
    const mode = stringOption(values, 'mode');
    const approveNewTools = switchOption(values, 'approve-new-tools');
    const current = await context.api.call(adminRoutes.getTenant, { params: { tenant } });
    // `mode` as given (the route schema refuses anything but withhold|flag before the PATCH is sent).
    let pinning: { mode: string; approveNewTools: boolean } = current.data.toolPinning ?? { mode: 'withhold', approveNewTools: false };
    let raw: unknown = current.raw;
    if (mode !== undefined || approveNewTools !== undefined) {
      // The API takes the whole policy: what is not given keeps its current value.
      const body = { toolPinning: { mode: mode ?? pinning.mode, approveNewTools: approveNewTools ?? pinning.approveNewTools } };
      const updated = await context.api.call(adminRoutes.updateTenant, { params: { tenant }, body });
      pinning = updated.data.toolPinning ?? body.toolPinning;
      raw = updated.raw;
    }
    if (context.json) return context.print(JSON.stringify({ tenant, toolPinning: (raw as { toolPinning?: unknown }).toolPinning ?? pinning }, null, 2) + '\n');
    context.print(formatRecord([['tenant', tenant], ['changed tools', pinning.mode === 'withhold' ? 'withhold' : 'flag'], ['new tools', pinning.approveNewTools ? 'held for approval' : 'trusted on first use']]));
  },
};

export const policyCommands: AdminCommand[] = [
  {
    resource: 'policy',
    action: 'get',
    synopsis: '<tenant> [--out <file>]',
    summary: "print a tenant's call policy: its settings, then its Cedar text",
    positionals: ['tenant'],
    options: { out: { type: 'string' } },
    details: ['--out <file>   write the Cedar text to <file> (to edit, then `policy put --file`) and print only the settings', 'With --json: the API answer (the text as `cedar`).'],
    async run(args, values, context) {
      const { raw, data } = await context.api.call(adminRoutes.getCallPolicy, { params: { tenant: args['tenant']! } });
      const out = stringOption(values, 'out');
      if (out !== undefined) await writeFile(out, data.cedar);
      printPolicy(context, raw, data);
      if (!context.json && out === undefined) context.print(data.cedar.trim() === '' ? '\n(no rules)\n' : `\n${data.cedar.endsWith('\n') ? data.cedar : `${data.cedar}\n`}`);
    },
  },
  {
    resource: 'policy',
    action: 'put',
    synopsis: '<tenant> --file <policy.cedar> [--default allow|deny] [--record-arguments on|off] [--redact <pattern>]... [--built-in-redactions] [--expected-version <n>]',
    summary: "replace a tenant's call policy with the Cedar rules of a file (checked by Cedar first: nothing is saved if it is invalid)",
    positionals: ['tenant'],
    options: {
      file: { type: 'string' },
      default: { type: 'string' },
      'record-arguments': { type: 'string' },
      redact: { type: 'string', multiple: true },
      'built-in-redactions': { type: 'boolean' },
      'expected-version': { type: 'string' },
    },
    details: [
      '--file <f>                the Cedar rules (an empty file: no rules)',
      '--default allow|deny      what a call no rule permits gets (default: the current setting; allow for a new policy)',
      '--record-arguments on|off audit records keep call arguments, redacted (default: unchanged)',
      '--redact <pattern>        an argument key whose value is redacted (* any run; repeat); replaces the list',
      '--built-in-redactions     go back to the built-in patterns (passwords, secrets, tokens, keys, ...)',
      '--expected-version <n>    refuse (409) when the policy changed since version <n> (`policy get` shows it)',
    ],
    async run(args, values, context) {
      const tenant = args['tenant']!;
      const file = stringOption(values, 'file');
      if (file === undefined) throw new UsageError('give --file <policy.cedar> (airlock admin policy get <tenant> --out <file> writes the current one)');
      const redact = listOption(values, 'redact');
      if (redact.length > 0 && values['built-in-redactions']) throw new UsageError('give --redact or --built-in-redactions, not both');
      const cedar = await readPolicyFile(file);
      let defaultEffect = stringOption(values, 'default');
      if (defaultEffect === undefined) defaultEffect = (await context.api.call(adminRoutes.getCallPolicy, { params: { tenant } })).data.defaultEffect;
      const recordArguments = switchOption(values, 'record-arguments');
      const expectedVersion = numberOption(values, 'expected-version');
      const body = {
        cedar,
        defaultEffect,
        ...(recordArguments === undefined ? {} : { recordArguments }),
        ...(redact.length > 0 ? { redactedKeys: redact } : values['built-in-redactions'] ? { redactedKeys: [] } : {}),
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
      };
      const { raw, data } = await context.api.call(adminRoutes.putCallPolicy, { params: { tenant }, body });
      printPolicy(context, raw, data);
    },
  },
  {
    resource: 'policy',
    action: 'evaluate',
    synopsis: '<tenant> --subject <s> --client <c> --server <s> --tool <t> [--group <g>]... [--scope <s>]... [--arguments <json>] [--file <draft.cedar> [--default allow|deny]]',
    summary: 'dry run: would the saved policy (or a draft) allow this call, and which rule decides',
    positionals: ['tenant'],
    options: {
      subject: { type: 'string' },
      client: { type: 'string' },
      server: { type: 'string' },
      tool: { type: 'string' },
      group: { type: 'string', multiple: true },
      scope: { type: 'string', multiple: true },
      arguments: { type: 'string' },
      file: { type: 'string' },
      default: { type: 'string' },
    },
    details: [
      '--subject, --client, --server, --tool   the call (the tool as its upstream names it)',
      '--group <g>, --scope <s>                the token\'s groups and scopes (repeat)',
      '--arguments <json>                      the call\'s arguments, a JSON object',
      '--file <f> [--default allow|deny]       evaluate a draft instead of the saved policy (default deny); nothing is saved',
      'Exit 0 whether allowed or refused: the answer is on stdout (--json: allowed, rule, message, version).',
    ],
    async run(args, values, context) {
      let parsedArguments: unknown;
      const argumentsText = stringOption(values, 'arguments');
      if (argumentsText !== undefined) {
        try {
          parsedArguments = JSON.parse(argumentsText);
        } catch {
          throw new UsageError('--arguments takes a JSON object, e.g. \'{"path":"/tmp"}\'');
        }
      }
      const file = stringOption(values, 'file');
      const defaultEffect = stringOption(values, 'default');
      if (defaultEffect !== undefined && file === undefined) throw new UsageError('--default goes with --file (a draft); the saved policy has its own');
      const body = {
        subject: stringOption(values, 'subject'),
        clientId: stringOption(values, 'client'),
        server: stringOption(values, 'server'),
        tool: stringOption(values, 'tool'),
        groups: listOption(values, 'group'),
        scopes: listOption(values, 'scope'),
        ...(parsedArguments === undefined ? {} : { arguments: parsedArguments }),
        ...(file === undefined ? {} : { cedar: await readPolicyFile(file), ...(defaultEffect === undefined ? {} : { defaultEffect }) }),
      };
      const { raw, data } = await context.api.call(adminRoutes.evaluateCallPolicy, { params: { tenant: args['tenant']! }, body });
      if (context.json) return context.print(JSON.stringify(raw, null, 2) + '\n');
      const against = data.version === null ? 'the draft' : `version ${data.version}`;
      if (data.allowed) context.print(`allowed: ${data.rule === null ? 'no rule decided (tenant default: allow)' : `rule "${data.rule}"`} (${against})\n`);
      else context.print(`refused: ${data.message ?? 'refused'} (${against})\n`);
    },
  },
];
