import { Anchor, Badge, Button, Code, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { adminApi, type Me } from '../api.js';
import { EmptyState, ErrorNotice, Pager, TableSkeleton } from '../components.js';
import { navigate, withSearch } from '../router.js';
import { linkTo } from './TenantsScreen.js';
import { EnabledStatus } from './UsersScreen.js';

const PAGE_SIZE = 25;

/** How a client was registered, as `?kind=` names it. */
export const CLIENT_KINDS: Record<string, string> = {
  admin: 'Pre-registered',
  dynamic: 'Dynamic (DCR)',
  metadata_document: 'Metadata document (CIMD)',
};

const KIND_OPTIONS = [{ value: '', label: 'All kinds' }, ...Object.entries(CLIENT_KINDS).map(([value, label]) => ({ value, label }))];
const STATUSES = [
  { value: '', label: 'All clients' },
  { value: 'false', label: 'Enabled' },
  { value: 'true', label: 'Disabled' },
];

export const lastUse = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : 'Never');
export const clientPath = (tenant: string, clientId: string) => `/tenants/${tenant}/clients/${encodeURIComponent(clientId)}`;

/** A tenant's clients (pre-registered, DCR and CIMD): `?q=` client id prefix, `?kind=`, `?disabled=`, cursor paged. */
export function ClientsScreen({ me, tenant, search }: { me: Me; tenant: string; search: URLSearchParams }) {
  const q = search.get('q') ?? '';
  const kind = search.get('kind') ?? '';
  const disabled = search.get('disabled') ?? '';
  const cursor = search.get('cursor') ?? undefined;
  const path = `/tenants/${tenant}/clients`;
  const queryClient = useQueryClient();
  const clients = useQuery({
    queryKey: ['clients', tenant, q, kind, disabled, cursor],
    queryFn: () => adminApi.listClients(tenant, { q: q.trim() || undefined, kind: kind || undefined, disabled: disabled || undefined, cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const toggle = useMutation({
    mutationFn: ({ clientId, disable }: { clientId: string; disable: boolean }) => adminApi.updateClient(tenant, clientId, { disabled: disable }),
    onSettled: () => queryClient.invalidateQueries({ predicate: (query) => query.queryKey[0] === 'clients' || query.queryKey[0] === 'client' }),
  });
  const mayChange = me.role !== 'auditor';
  const filtered = Boolean(q.trim() || kind || disabled);

  return (
    <Stack gap="md">
      <Title order={1}>
        Clients of <Code fz="inherit">{tenant}</Code>
      </Title>
      <Group align="flex-end" gap="md">
        <TextInput
          label="Search clients"
          description="A client id prefix"
          value={q}
          onChange={(event) => navigate(withSearch(path, search, { q: event.currentTarget.value, cursor: undefined }), { replace: true })}
          w={320}
        />
        <NativeSelect label="Kind" data={KIND_OPTIONS} value={kind} onChange={(event) => navigate(withSearch(path, search, { kind: event.currentTarget.value, cursor: undefined }))} w={220} />
        <NativeSelect label="Status" data={STATUSES} value={disabled} onChange={(event) => navigate(withSearch(path, search, { disabled: event.currentTarget.value, cursor: undefined }))} w={180} />
      </Group>
      {toggle.isError && <ErrorNotice error={toggle.error} title="The client was not changed" />}
      {clients.isPending ? (
        <TableSkeleton label="Loading clients" />
      ) : clients.isError ? (
        <ErrorNotice error={clients.error} title="Could not list clients" />
      ) : clients.data.items.length === 0 ? (
        <EmptyState title={filtered ? 'No client matches these filters' : 'No clients yet'}>
          {filtered
            ? 'Check the spelling, or clear the search and filters to see every client.'
            : `MCP clients appear here when they register (dynamic registration at /t/${tenant}/reg, if the tenant's registration policy allows it) or sign in with a client metadata document; admins pre-register one with POST /admin/v1/tenants/${tenant}/clients.`}
        </EmptyState>
      ) : (
        <>
          <Table striped highlightOnHover aria-label="Clients">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Client id</Table.Th>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Kind</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Last used</Table.Th>
                <Table.Th scope="col">Registered</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {clients.data.items.map((client) => (
                <Table.Tr key={client.client_id}>
                  <Table.Td maw={320} style={{ overflowWrap: 'anywhere' }}>
                    <Anchor href={`/console${clientPath(tenant, client.client_id)}`} onClick={linkTo(clientPath(tenant, client.client_id))} ff="monospace" size="sm">
                      {client.client_id}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{client.client_name ?? '–'}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color="gray">
                      {CLIENT_KINDS[client.kind] ?? client.kind}
                    </Badge>
                  </Table.Td>
                  <Table.Td>
                    <EnabledStatus disabled={client.disabled} />
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{lastUse(client.last_used_at)}</Text>
                  </Table.Td>
                  <Table.Td>{new Date(client.created_at).toLocaleString()}</Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      variant="default"
                      disabled={!mayChange}
                      title={mayChange ? undefined : 'Auditors have read-only access'}
                      loading={toggle.isPending && toggle.variables.clientId === client.client_id}
                      onClick={() => toggle.mutate({ clientId: client.client_id, disable: !client.disabled })}
                      aria-label={`${client.disabled ? 'Enable' : 'Disable'} client ${client.client_id}`}
                    >
                      {client.disabled ? 'Enable' : 'Disable'}
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager cursor={cursor} nextCursor={clients.data.nextCursor} onCursor={(next) => navigate(withSearch(path, search, { cursor: next }))} />
        </>
      )}
    </Stack>
  );
}
