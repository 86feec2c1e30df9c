import { Anchor, Badge, Button, Group, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { adminApi, type Me } from '../api.js';
import { EmptyState, ErrorNotice, Pager, TableSkeleton } from '../components.js';
import { ConfirmDialog } from '../ConfirmDialog.js';
import { CLIENT_KINDS, lastUse } from './ClientsScreen.js';
import { linkTo } from './TenantsScreen.js';
import { EnabledStatus } from './UsersScreen.js';

const PAGE_SIZE = 20;

/** One client: its metadata and last use, disable/enable, and the grants users gave it (revoke all). */
export function ClientDetailScreen({ me, tenant, clientId }: { me: Me; tenant: string; clientId: string }) {
  const queryClient = useQueryClient();
  const mayChange = me.role !== 'auditor';
  const readOnly = mayChange ? undefined : 'Auditors have read-only access';
  const [confirming, setConfirming] = useState(false);
  const [done, setDone] = useState<string>();
  const [cursor, setCursor] = useState<string>();
  const client = useQuery({ queryKey: ['client', tenant, clientId], queryFn: () => adminApi.getClient(tenant, clientId) });
  const grants = useQuery({
    queryKey: ['client-grants', tenant, clientId, cursor],
    queryFn: () => adminApi.listClientGrants(tenant, clientId, { cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const refresh = () => queryClient.invalidateQueries({ predicate: (query) => ['client', 'clients', 'client-grants'].includes(String(query.queryKey[0])) });
  const toggle = useMutation({
    mutationFn: (disabled: boolean) => adminApi.updateClient(tenant, clientId, { disabled }),
    onSuccess: (updated) => setDone(updated.disabled ? 'Client disabled: every token it holds is revoked and it gets no new one.' : 'Client enabled.'),
    onSettled: refresh,
  });
  const revokeAll = useMutation({
    mutationFn: () => adminApi.revokeClientGrants(tenant, clientId),
    onSuccess: (result) => {
      setConfirming(false);
      setCursor(undefined);
      setDone(`${result.revoked} grant(s) revoked; users approve the client again on their next sign-in.`);
    },
    onSettled: refresh,
  });

  const clientsPath = `/tenants/${tenant}/clients`;
  return (
    <Stack gap="md">
      <Anchor href={`/console${clientsPath}`} onClick={linkTo(clientsPath)} size="sm">
        ← All clients of {tenant}
      </Anchor>
      {client.isPending ? (
        <TableSkeleton rows={3} label="Loading the client" />
      ) : client.isError ? (
        <ErrorNotice error={client.error} title="Could not load the client" />
      ) : (
        <>
          <Title order={1} style={{ overflowWrap: 'anywhere' }}>
            {client.data.client_name ?? client.data.client_id}
          </Title>
          <Group gap="lg">
            <EnabledStatus disabled={client.data.disabled} />
            <Badge variant="light" color="gray">
              {CLIENT_KINDS[client.data.kind] ?? client.data.kind}
            </Badge>
            <Text size="sm">Last used: {lastUse(client.data.last_used_at)}</Text>
            <Text size="sm">Registered {new Date(client.data.created_at).toLocaleString()}</Text>
          </Group>
          <Table variant="vertical" withTableBorder maw={900} aria-label="Client metadata">
            <Table.Tbody>
              <Table.Tr>
                <Table.Th scope="row">Client id</Table.Th>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>
                  <Text ff="monospace" size="sm">
                    {client.data.client_id}
                  </Text>
                </Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th scope="row">Redirect URIs</Table.Th>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>{client.data.redirect_uris?.join(', ') || '–'}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th scope="row">Grant types</Table.Th>
                <Table.Td>{client.data.grant_types?.join(', ') || '–'}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th scope="row">Token endpoint authentication</Table.Th>
                <Table.Td>{client.data.token_endpoint_auth_method ?? '–'}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th scope="row">Scope</Table.Th>
                <Table.Td>{client.data.scope ?? '–'}</Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
          <Group gap="sm">
            <Button variant="default" disabled={!mayChange} title={readOnly} loading={toggle.isPending} onClick={() => toggle.mutate(!client.data.disabled)}>
              {client.data.disabled ? 'Enable client' : 'Disable client'}
            </Button>
            <Button color="red" variant="light" disabled={!mayChange || !grants.data?.items.length} title={readOnly} onClick={() => setConfirming(true)}>
              Revoke all grants
            </Button>
          </Group>
          {done && (
            <Text role="status" fw={600} size="sm">
              {done}
            </Text>
          )}
          {toggle.isError && <ErrorNotice error={toggle.error} title="The client was not changed" />}
          <ConfirmDialog
            open={confirming}
            title="Revoke every grant users gave this client?"
            confirmLabel="Revoke all grants"
            busy={revokeAll.isPending}
            onConfirm={() => revokeAll.mutate()}
            onCancel={() => setConfirming(false)}
            error={revokeAll.isError && <ErrorNotice error={revokeAll.error} title="The grants were not revoked" />}
          >
            Every token issued from these grants stops working; the client stays registered and each user approves it again on their next sign-in.
          </ConfirmDialog>
        </>
      )}
      <Stack gap="xs" component="section" aria-labelledby="client-grants-title">
        <Title order={2} size="h3" id="client-grants-title">
          Grants
        </Title>
        {grants.isPending ? (
          <TableSkeleton rows={2} label="Loading grants" />
        ) : grants.isError ? (
          <ErrorNotice error={grants.error} title="Could not list grants" />
        ) : grants.data.items.length === 0 ? (
          <EmptyState title="No grants">No user has approved this client. A grant appears when a user consents to it at the tenant's login page.</EmptyState>
        ) : (
          <>
            <Table striped aria-label="Grants">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">User</Table.Th>
                  <Table.Th scope="col">Scopes</Table.Th>
                  <Table.Th scope="col">Resource</Table.Th>
                  <Table.Th scope="col">Granted</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {grants.data.items.map((grant) => (
                  <Table.Tr key={grant.grantId}>
                    <Table.Td>
                      <Anchor href={`/console/tenants/${tenant}/users/${grant.userId}`} onClick={linkTo(`/tenants/${tenant}/users/${grant.userId}`)} ff="monospace" size="sm">
                        {grant.userId}
                      </Anchor>
                    </Table.Td>
                    <Table.Td>{grant.scopes.join(' ') || '–'}</Table.Td>
                    <Table.Td>
                      <Text ff="monospace" size="xs">
                        {grant.resource}
                      </Text>
                    </Table.Td>
                    <Table.Td>{new Date(grant.createdAt).toLocaleString()}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Pager cursor={cursor} nextCursor={grants.data.nextCursor} onCursor={setCursor} />
          </>
        )}
      </Stack>
    </Stack>
  );
}
