import { Button, Code, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { adminApi, type Me } from '../api.js';
import { EmptyState, ErrorNotice, Pager, TableSkeleton } from '../components.js';
import { navigate, withSearch } from '../router.js';

const PAGE_SIZE = 25;

/** A tenant's live MCP sessions (refreshed every few seconds), cursor paged; admins revoke one. */
export function SessionsScreen({ me, tenant, search }: { me: Me; tenant: string; search: URLSearchParams }) {
  const cursor = search.get('cursor') ?? undefined;
  const path = `/tenants/${tenant}/sessions`;
  const queryClient = useQueryClient();
  const sessions = useQuery({
    queryKey: ['sessions', tenant, cursor],
    queryFn: () => adminApi.listSessions(tenant, { cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  const revoke = useMutation({
    mutationFn: (id: string) => adminApi.revokeSession(tenant, id),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['sessions', tenant] }),
  });
  const mayRevoke = me.role !== 'auditor';

  return (
    <Stack gap="md">
      <Title order={1}>
        Live MCP sessions of <Code fz="inherit">{tenant}</Code>
      </Title>
      {revoke.isError && <ErrorNotice error={revoke.error} title="The session was not revoked" />}
      {sessions.isPending ? (
        <TableSkeleton label="Loading sessions" />
      ) : sessions.isError ? (
        <ErrorNotice error={sessions.error} title="Could not list sessions" />
      ) : sessions.data.items.length === 0 ? (
        <EmptyState title="No live MCP sessions">
          Sessions appear here while MCP clients are connected to this tenant through the gateway. Add an MCP server to the tenant and connect a client to its endpoint
          (<Code>/t/{tenant}/mcp</Code>); this list refreshes every few seconds.
        </EmptyState>
      ) : (
        <>
          <Table striped aria-label="Live MCP sessions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Subject</Table.Th>
                <Table.Th scope="col">Client</Table.Th>
                <Table.Th scope="col">Servers</Table.Th>
                <Table.Th scope="col">Protocol</Table.Th>
                <Table.Th scope="col">Since</Table.Th>
                <Table.Th scope="col">Last seen</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sessions.data.items.map((session) => (
                <Table.Tr key={session.id}>
                  <Table.Td>{session.subject}</Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {session.clientId}
                    </Text>
                  </Table.Td>
                  <Table.Td>{session.servers.join(', ') || '–'}</Table.Td>
                  <Table.Td>{session.protocolVersion ?? '–'}</Table.Td>
                  <Table.Td>{new Date(session.createdAt).toLocaleString()}</Table.Td>
                  <Table.Td>{new Date(session.lastSeenAt).toLocaleString()}</Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      color="red"
                      variant="light"
                      disabled={!mayRevoke}
                      title={mayRevoke ? undefined : 'Auditors cannot revoke sessions'}
                      loading={revoke.isPending && revoke.variables === session.id}
                      onClick={() => revoke.mutate(session.id)}
                      aria-label={`Revoke session ${session.id}`}
                    >
                      Revoke
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager cursor={cursor} nextCursor={sessions.data.nextCursor} onCursor={(next) => navigate(withSearch(path, search, { cursor: next }))} />
        </>
      )}
    </Stack>
  );
}
