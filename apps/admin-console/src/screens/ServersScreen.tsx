import { Anchor, Button, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { adminApi, type Me, type UpstreamServer } from '../api.js';
import { EmptyState, ErrorNotice, Pager, TableSkeleton } from '../components.js';
import { navigate, withSearch } from '../router.js';
import { linkTo } from './TenantsScreen.js';

const PAGE_SIZE = 25;

/** A tenant's upstream MCP servers, cursor paged: where each one is, how the gateway authenticates, which era it speaks. */
export function ServersScreen({ me, tenant, search }: { me: Me; tenant: string; search: URLSearchParams }) {
  const cursor = search.get('cursor') ?? undefined;
  const path = `/tenants/${tenant}/servers`;
  const servers = useQuery({
    queryKey: ['servers', tenant, cursor],
    queryFn: () => adminApi.listServers(tenant, { cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const mayEdit = me.role !== 'auditor';

  return (
    <Stack gap="md">
      <Group justify="space-between">
        <Title order={1}>
          MCP servers of <Code fz="inherit">{tenant}</Code>
        </Title>
        {mayEdit && (
          <Button component="a" href={`/console/tenants/${tenant}/new-server`} onClick={linkTo(`/tenants/${tenant}/new-server`)}>
            Add a server
          </Button>
        )}
      </Group>
      {servers.isPending ? (
        <TableSkeleton label="Loading servers" />
      ) : servers.isError ? (
        <ErrorNotice error={servers.error} title="Could not list servers" />
      ) : servers.data.items.length === 0 ? (
        <EmptyState title="No MCP servers yet">
          {mayEdit
            ? 'Add the first upstream MCP server (an http URL or a stdio command) with “Add a server”; the gateway then offers its tools at '
            : 'An admin of this tenant adds upstream MCP servers here; the gateway then offers their tools at '}
          <Code>/t/{tenant}/servers/&lt;name&gt;/mcp</Code>.
        </EmptyState>
      ) : (
        <>
          <Table striped highlightOnHover aria-label="MCP servers">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Transport</Table.Th>
                <Table.Th scope="col">URL or command</Table.Th>
                <Table.Th scope="col">Credential</Table.Th>
                <Table.Th scope="col">Secrets</Table.Th>
                <Table.Th scope="col">Protocol era</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {servers.data.items.map((server) => (
                <Table.Tr key={server.id}>
                  <Table.Td>
                    <Anchor href={`/console/tenants/${tenant}/servers/${server.name}`} onClick={linkTo(`/tenants/${tenant}/servers/${server.name}`)} ff="monospace" size="sm">
                      {server.name}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{server.transport}</Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="sm" style={{ wordBreak: 'break-all' }}>
                      {whereItRuns(server)}
                    </Text>
                  </Table.Td>
                  <Table.Td>{server.credentialKind}</Table.Td>
                  <Table.Td>{server.hasSecrets ? 'set (sealed)' : 'none'}</Table.Td>
                  <Table.Td>{protocolEra(server)}</Table.Td>
                  <Table.Td>
                    <Text size="sm" fw={server.enabled ? 400 : 600}>
                      {server.enabled ? 'enabled' : 'disabled'}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager cursor={cursor} nextCursor={servers.data.nextCursor} onCursor={(next) => navigate(withSearch(path, search, { cursor: next }))} />
        </>
      )}
    </Stack>
  );
}

/** The URL of an http server, the command line of a stdio one. */
export function whereItRuns(server: UpstreamServer): string {
  return server.transport === 'http' ? (server.url ?? '') : [server.command ?? '', ...server.args].join(' ');
}

/** The era the admin pinned, or (auto) what a gateway last detected. */
export function protocolEra(server: UpstreamServer): string {
  if (server.protocolEra !== 'auto') return `${server.protocolEra} (pinned)`;
  return server.detectedProtocolVersion ? `${server.detectedProtocolVersion} (detected)` : 'auto (not yet detected)';
}
