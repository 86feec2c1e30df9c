import { Button, Checkbox, Code, Group, NativeSelect, PasswordInput, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { createUpstreamServerRequestSchema } from '@airlock/contracts';
import { adminApi, ApiError, type Me } from '../api.js';
import { ErrorNotice } from '../components.js';
import { navigate } from '../router.js';

type Field = 'name' | 'url' | 'credentialKind' | 'headerName' | 'headerValue' | 'command' | 'args' | 'env' | 'readOnlyPaths' | 'form';

/** Which form field a path of the request body belongs to (`secrets.env.TOKEN` is the environment field). */
function fieldOf(path: string, transport: string): Field {
  if (path === '') return transport === 'http' ? 'url' : 'command';
  if (path === 'secrets.header.name') return 'headerName';
  if (path.startsWith('secrets.header')) return 'headerValue';
  if (path.startsWith('secrets.env')) return 'env';
  if (path === 'secrets') return transport === 'http' ? 'credentialKind' : 'env';
  const head = path.split('.')[0]!;
  return (['name', 'url', 'credentialKind', 'command', 'args', 'readOnlyPaths'] as const).find((field) => field === head) ?? 'form';
}

/**
 * The API's refusal by field: zod's "path: message" parts, the address policy's "url refused by ...", and a
 * name already taken. What names no field stays on the form.
 */
function apiFieldErrors(error: ApiError, transport: string): Partial<Record<Field, string>> {
  if (error.code === 'conflict') return { name: error.description };
  const fields: Partial<Record<Field, string>> = {};
  for (const part of error.description.split('; ')) {
    const named = /^([A-Za-z][\w.]*)(: | refused )/.exec(part);
    const field = named ? fieldOf(named[1]!, transport) : 'form';
    fields[field] = fields[field] ? `${fields[field]}; ${part}` : part;
  }
  return fields;
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** Add an upstream MCP server: http (URL, a sealed header or token exchange) or stdio (command, env, sandbox). */
export function ServerCreateScreen({ me, tenant }: { me: Me; tenant: string }) {
  const queryClient = useQueryClient();
  const [transport, setTransport] = useState<'http' | 'stdio'>('http');
  const [name, setName] = useState('');
  const [url, setUrl] = useState('');
  const [credentialKind, setCredentialKind] = useState<'none' | 'static_header' | 'token_exchange'>('none');
  const [headerName, setHeaderName] = useState('');
  const [headerValue, setHeaderValue] = useState('');
  const [command, setCommand] = useState('');
  const [args, setArgs] = useState('');
  const [env, setEnv] = useState('');
  const [sandbox, setSandbox] = useState(true);
  const [readOnlyPaths, setReadOnlyPaths] = useState('');
  const [clientErrors, setClientErrors] = useState<Partial<Record<Field, string>>>({});

  const body = () => {
    if (transport === 'http') {
      return {
        name: name.trim(),
        transport,
        url: url.trim(),
        credentialKind,
        ...(credentialKind === 'static_header' ? { secrets: { header: { name: headerName.trim(), value: headerValue } } } : {}),
      };
    }
    const envPairs = lines(env).map((line) => {
      const at = line.indexOf('=');
      return at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1)];
    });
    return {
      name: name.trim(),
      transport,
      command: command.trim(),
      args: lines(args),
      sandbox,
      readOnlyPaths: lines(readOnlyPaths),
      ...(envPairs.length ? { secrets: { env: Object.fromEntries(envPairs) } } : {}),
    };
  };

  const create = useMutation({
    mutationFn: (request: unknown) => adminApi.createServer(tenant, request),
    onSuccess: async (server) => {
      await queryClient.invalidateQueries({ queryKey: ['servers', tenant] });
      navigate(`/tenants/${tenant}/servers/${server.name}`);
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const request = body();
    // The API's own schema first, so most mistakes show before a round trip; the API checks again (and more).
    const parsed = createUpstreamServerRequestSchema.safeParse(request);
    if (!parsed.success) {
      const errors: Partial<Record<Field, string>> = {};
      for (const issue of parsed.error.issues) {
        const field = fieldOf(issue.path.map(String).join('.'), transport);
        errors[field] ??= issue.message;
      }
      setClientErrors(errors);
      create.reset();
      return;
    }
    setClientErrors({});
    create.mutate(request);
  };

  const errors = { ...clientErrors, ...(create.error instanceof ApiError ? apiFieldErrors(create.error, transport) : {}) };
  const formError = create.error && (!(create.error instanceof ApiError) || errors.form) ? create.error : undefined;

  if (me.role === 'auditor') {
    return (
      <Stack>
        <Title order={1}>Add a server</Title>
        <Text>Auditors have read-only access: ask an admin of this tenant to add the server.</Text>
      </Stack>
    );
  }

  return (
    <form onSubmit={submit} aria-labelledby="add-server-title" noValidate>
      <Stack gap="sm" maw={620}>
        <Title order={1} id="add-server-title">
          Add an MCP server to <Code fz="inherit">{tenant}</Code>
        </Title>
        <TextInput
          label="Name"
          description="Lowercase letters, digits, dashes or underscores; the gateway serves it at /t/<tenant>/servers/<name>/mcp"
          required
          value={name}
          onChange={(event) => setName(event.currentTarget.value)}
          error={errors.name}
          autoComplete="off"
        />
        <NativeSelect
          label="Transport"
          data={[
            { value: 'http', label: 'http (Streamable HTTP, a URL)' },
            { value: 'stdio', label: 'stdio (a command the gateway runs)' },
          ]}
          value={transport}
          onChange={(event) => {
            setTransport(event.currentTarget.value as 'http' | 'stdio');
            setClientErrors({});
            create.reset();
          }}
        />
        {transport === 'http' ? (
          <>
            <TextInput label="URL" description="http(s) URL of the upstream's MCP endpoint" required value={url} onChange={(event) => setUrl(event.currentTarget.value)} error={errors.url} autoComplete="off" />
            <NativeSelect
              label="Credential"
              description="How the gateway authenticates to the upstream"
              data={[
                { value: 'none', label: 'None' },
                { value: 'static_header', label: 'A header (sealed by the API, never shown again)' },
                { value: 'token_exchange', label: "Token exchange (the user's token, exchanged)" },
              ]}
              value={credentialKind}
              onChange={(event) => setCredentialKind(event.currentTarget.value as typeof credentialKind)}
              error={errors.credentialKind}
            />
            {credentialKind === 'static_header' && (
              <>
                <TextInput label="Header name" description="e.g. Authorization" required value={headerName} onChange={(event) => setHeaderName(event.currentTarget.value)} error={errors.headerName} autoComplete="off" />
                <PasswordInput label="Header value" required value={headerValue} onChange={(event) => setHeaderValue(event.currentTarget.value)} error={errors.headerValue} autoComplete="off" />
              </>
            )}
          </>
        ) : (
          <>
            <TextInput label="Command" description="The program to run, e.g. npx or /usr/bin/node" required value={command} onChange={(event) => setCommand(event.currentTarget.value)} error={errors.command} autoComplete="off" />
            <Textarea label="Arguments" description="One per line" autosize minRows={2} value={args} onChange={(event) => setArgs(event.currentTarget.value)} error={errors.args} />
            <Textarea
              label="Environment"
              description="NAME=value, one per line; sealed by the API, never shown again (the process gets PATH and these only)"
              autosize
              minRows={2}
              value={env}
              onChange={(event) => setEnv(event.currentTarget.value)}
              error={errors.env}
            />
            <Checkbox label="Run in the sandbox (bubblewrap)" description="Turn off only for a server you trust with this host" checked={sandbox} onChange={(event) => setSandbox(event.currentTarget.checked)} />
            <Textarea
              label="Read-only paths"
              description="Absolute host paths the sandbox sees read-only besides the system, one per line"
              autosize
              minRows={1}
              value={readOnlyPaths}
              onChange={(event) => setReadOnlyPaths(event.currentTarget.value)}
              error={errors.readOnlyPaths}
            />
          </>
        )}
        {formError ? (
          <ErrorNotice error={formError} title="The server was not added" />
        ) : errors.form ? (
          <ErrorNotice error={new Error(errors.form)} title="The server was not added" />
        ) : create.error instanceof ApiError ? (
          <Text size="xs" c="dimmed" role="status">
            Refused by the API: {create.error.code} (HTTP {create.error.status}){create.error.requestId ? ` · request id ${create.error.requestId}` : ''}
          </Text>
        ) : null}
        <Group>
          <Button type="submit" loading={create.isPending}>
            Add server
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
