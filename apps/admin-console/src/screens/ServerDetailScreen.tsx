import { Anchor, Badge, Button, Checkbox, Code, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { adminApi, ApiError, type Me, type Tool } from '../api.js';
import { EmptyState, ErrorNotice, TableSkeleton } from '../components.js';
import { navigate } from '../router.js';
import { protocolEra, whereItRuns } from './ServersScreen.js';
import { linkTo } from './TenantsScreen.js';
import { ServerConnectionTest } from './ServerConnectionTest.js';
import { ServerToolChanges, useToolChanges } from './ServerToolChanges.js';

/** One upstream server: its settings (never its secrets), its tool catalogue with per-tool scopes and on/off, and delete. */
export function ServerDetailScreen({ me, tenant, name }: { me: Me; tenant: string; name: string }) {
  const server = useQuery({ queryKey: ['server', tenant, name], queryFn: () => adminApi.getServer(tenant, name) });
  const mayEdit = me.role !== 'auditor';
  const changes = useToolChanges(tenant, name);
  const pending = new Map((changes.data?.items ?? []).map((change) => [change.name, change.change]));

  return (
    <Stack gap="md">
      <Anchor href={`/console/tenants/${tenant}/servers`} onClick={linkTo(`/tenants/${tenant}/servers`)} size="sm">
        ← MCP servers of {tenant}
      </Anchor>
      <Title order={1}>
        MCP server <Code fz="inherit">{name}</Code>
      </Title>
      {server.isPending ? (
        <TableSkeleton rows={6} label="Loading the server" />
      ) : server.isError ? (
        <ErrorNotice error={server.error} title="Could not load the server" />
      ) : (
        <>
          <Table aria-label="Server settings" maw={760} variant="vertical" withTableBorder>
            <Table.Tbody>
              <Setting label="Transport">{server.data.transport}</Setting>
              <Setting label={server.data.transport === 'http' ? 'URL' : 'Command'}>
                <Text ff="monospace" size="sm" style={{ wordBreak: 'break-all' }}>
                  {whereItRuns(server.data)}
                </Text>
              </Setting>
              <Setting label="Credential">{server.data.credentialKind}</Setting>
              <Setting label="Secrets">{server.data.hasSecrets ? 'set (sealed; never shown)' : 'none'}</Setting>
              {server.data.transport === 'stdio' && (
                <>
                  <Setting label="Sandbox">{server.data.sandbox ? 'on (bubblewrap)' : 'off (opted out)'}</Setting>
                  <Setting label="Read-only paths">{server.data.readOnlyPaths.length ? server.data.readOnlyPaths.join(', ') : 'none'}</Setting>
                </>
              )}
              <Setting label="Protocol era">{protocolEra(server.data)}</Setting>
              <Setting label="Status">{server.data.enabled ? 'enabled' : 'disabled'}</Setting>
            </Table.Tbody>
          </Table>
          <ServerConnectionTest tenant={tenant} name={name} mayTest={mayEdit} />
          <ServerToolChanges tenant={tenant} name={name} mayApprove={mayEdit} />
          <Title order={2} size="h3">
            Tools
          </Title>
          {server.data.tools.length === 0 ? (
            <EmptyState title="No tools in the catalogue yet">
              The catalogue says which scopes each tool needs and what consent shows. Load it with <Code>PUT /admin/v1/tenants/{tenant}/servers/{name}/tools</Code> (or the CLI); its
              tools then appear here to scope, enable or disable.
            </EmptyState>
          ) : (
            <Table striped aria-label="Tools">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Name</Table.Th>
                  <Table.Th scope="col">Description</Table.Th>
                  <Table.Th scope="col">Required scopes</Table.Th>
                  <Table.Th scope="col">Enabled</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {server.data.tools.map((tool) => (
                  <ToolRow key={tool.name} tenant={tenant} server={name} tool={tool} mayEdit={mayEdit} pending={pending.get(tool.name)} />
                ))}
              </Table.Tbody>
            </Table>
          )}
          {mayEdit && <DeleteServer tenant={tenant} name={name} />}
        </>
      )}
    </Stack>
  );
}

function Setting({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th scope="row" w={180}>
        {label}
      </Table.Th>
      <Table.Td>{children}</Table.Td>
    </Table.Tr>
  );
}

/** A tool: its scopes edited in place (space or comma separated), enabled toggled at once. */
function ToolRow({ tenant, server, tool, mayEdit, pending }: { tenant: string; server: string; tool: Tool; mayEdit: boolean; pending: 'new' | 'changed' | undefined }) {
  const queryClient = useQueryClient();
  const [scopes, setScopes] = useState(tool.requiredScopes.join(' '));
  const [saved, setSaved] = useState(false);
  const update = useMutation({
    mutationFn: (body: { requiredScopes?: string[]; enabled?: boolean }) => adminApi.updateTool(tenant, server, tool.name, body),
    onSuccess: async (updated, body) => {
      if (body.requiredScopes) setScopes(updated.requiredScopes.join(' '));
      setSaved(Boolean(body.requiredScopes));
      await queryClient.invalidateQueries({ queryKey: ['server', tenant, server] });
    },
  });
  const saveScopes = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    update.mutate({ requiredScopes: scopes.split(/[\s,]+/).filter(Boolean) });
  };
  const scopeError = update.error instanceof ApiError ? `${update.error.description}${update.error.requestId ? ` (request id ${update.error.requestId})` : ''}` : undefined;

  return (
    <Table.Tr>
      <Table.Td>
        <Text ff="monospace" size="sm">
          {tool.name}
        </Text>
        {tool.title && <Text size="xs">{tool.title}</Text>}
        {pending && (
          <Badge color="orange" variant="light" size="sm">
            awaits approval
          </Badge>
        )}
      </Table.Td>
      <Table.Td>
        <Text size="sm">{tool.description ?? '–'}</Text>
      </Table.Td>
      <Table.Td>
        {mayEdit ? (
          <form onSubmit={saveScopes} noValidate>
            <Group gap="xs" wrap="nowrap" align="flex-start">
              <TextInput
                aria-label={`Required scopes of ${tool.name}`}
                size="xs"
                value={scopes}
                onChange={(event) => {
                  setScopes(event.currentTarget.value);
                  setSaved(false);
                }}
                error={scopeError}
                description={saved ? 'Saved' : undefined}
                autoComplete="off"
              />
              <Button type="submit" size="xs" variant="default" loading={update.isPending} aria-label={`Save scopes of ${tool.name}`}>
                Save
              </Button>
            </Group>
          </form>
        ) : (
          <Text ff="monospace" size="sm">
            {tool.requiredScopes.join(' ') || '–'}
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Checkbox
          label={`Enabled`}
          aria-label={`${tool.name} enabled`}
          checked={tool.enabled}
          disabled={!mayEdit || update.isPending}
          onChange={(event) => update.mutate({ enabled: event.currentTarget.checked })}
        />
      </Table.Td>
    </Table.Tr>
  );
}

/** Delete with an inline confirmation (no Modal: it injects a style element the CSP refuses); focus moves to it and back. */
function DeleteServer({ tenant, name }: { tenant: string; name: string }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const openRef = useRef<HTMLButtonElement>(null);
  const remove = useMutation({
    mutationFn: () => adminApi.deleteServer(tenant, name),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ['servers', tenant] });
      navigate(`/tenants/${tenant}/servers`);
    },
  });
  useEffect(() => {
    if (confirming) cancelRef.current?.focus();
  }, [confirming]);
  const cancel = () => {
    setConfirming(false);
    requestAnimationFrame(() => openRef.current?.focus());
  };

  if (!confirming) {
    return (
      <Group>
        <Button ref={openRef} color="red.9" variant="outline" onClick={() => setConfirming(true)}>
          Delete server
        </Button>
      </Group>
    );
  }
  return (
    <Stack
      gap="xs"
      p="md"
      maw={620}
      role="group"
      aria-labelledby="delete-server-title"
      onKeyDown={(event) => event.key === 'Escape' && cancel()}
      style={{ border: '1px solid var(--mantine-color-red-6)', borderRadius: 8 }}
    >
      <Text fw={600} id="delete-server-title">
        Delete the server {name}?
      </Text>
      <Text size="sm">Its tools leave the tenant's catalogue at once and MCP clients can no longer reach it. This cannot be undone.</Text>
      {remove.isError && <ErrorNotice error={remove.error} title="The server was not deleted" />}
      <Group>
        <Button color="red.9" onClick={() => remove.mutate()} loading={remove.isPending}>
          Delete {name}
        </Button>
        <Button ref={cancelRef} variant="default" onClick={cancel}>
          Cancel
        </Button>
      </Group>
    </Stack>
  );
}
