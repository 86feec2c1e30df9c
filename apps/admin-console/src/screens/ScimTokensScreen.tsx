import { Alert, Button, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Me } from '../api.js';
import { EmptyState, ErrorNotice, TableSkeleton } from '../components.js';
import { ConfirmDialog } from '../ConfirmDialog.js';
import { identityApi, type ScimToken } from '../identity-api.js';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : 'never');

/**
 * A tenant's SCIM provisioning tokens: a new one is shown once with the base URL to give the provisioning
 * client (Okta, Entra ID); only its hash is kept. Revoke (confirmed) refuses it from the next request on.
 */
export function ScimTokensScreen({ me, tenant }: { me: Me; tenant: string }) {
  const client = useQueryClient();
  const tokens = useQuery({ queryKey: ['scim-tokens', tenant], queryFn: () => identityApi.listScimTokens(tenant) });
  const writes = me.role !== 'auditor';
  const [revoking, setRevoking] = useState<ScimToken | undefined>();
  const create = useMutation({
    mutationFn: () => identityApi.createScimToken(tenant),
    onSuccess: () => client.invalidateQueries({ queryKey: ['scim-tokens', tenant] }),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => identityApi.revokeScimToken(tenant, id),
    onSuccess: async () => {
      setRevoking(undefined);
      await client.invalidateQueries({ queryKey: ['scim-tokens', tenant] });
    },
  });

  return (
    <Stack gap="md" maw={960}>
      <Group justify="space-between">
        <Title order={1}>
          SCIM provisioning of <Code fz="inherit">{tenant}</Code>
        </Title>
        {writes && (
          <Button onClick={() => create.mutate()} loading={create.isPending}>
            Create a SCIM token
          </Button>
        )}
      </Group>
      <Text size="sm">The organization’s provisioning client (Okta, Entra ID, …) creates, changes and deactivates this tenant’s users and groups over SCIM 2.0 with a bearer token made here.</Text>
      {create.isError && <ErrorNotice error={create.error} title="The token was not created" />}
      {create.data && (
        <Alert color="blue" title="SCIM token (shown once)" role="status">
          <Stack gap="xs">
            <Text size="sm">Give both to the provisioning client now: the token is not shown again (only its hash is kept).</Text>
            <Text size="sm" fw={600}>
              Base URL
            </Text>
            <Code block data-testid="scim-base-url">
              {create.data.baseUrl}
            </Code>
            <Text size="sm" fw={600}>
              Bearer token
            </Text>
            <Code block data-testid="scim-token">
              {create.data.token}
            </Code>
          </Stack>
        </Alert>
      )}
      {tokens.isPending ? (
        <TableSkeleton rows={3} label="Loading SCIM tokens" />
      ) : tokens.isError ? (
        <ErrorNotice error={tokens.error} title="Could not list the SCIM tokens" />
      ) : tokens.data.items.length === 0 ? (
        <EmptyState title="No SCIM tokens">{writes ? 'Create one with “Create a SCIM token” and give it to the provisioning client with the base URL.' : 'An admin of this tenant creates SCIM tokens here.'}</EmptyState>
      ) : (
        <Table striped aria-label="SCIM tokens">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Token id</Table.Th>
              <Table.Th scope="col">Created</Table.Th>
              <Table.Th scope="col">Last used</Table.Th>
              <Table.Th scope="col">Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {tokens.data.items.map((token) => (
              <Table.Tr key={token.id}>
                <Table.Td>
                  <Text ff="monospace" size="sm">
                    {token.id}
                  </Text>
                </Table.Td>
                <Table.Td>{when(token.createdAt)}</Table.Td>
                <Table.Td>{when(token.lastUsedAt)}</Table.Td>
                <Table.Td>
                  <Button variant="default" size="xs" disabled={!writes} onClick={() => setRevoking(token)} aria-label={`Revoke SCIM token ${token.id}`}>
                    Revoke
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <ConfirmDialog
        open={revoking !== undefined}
        title="Revoke this SCIM token?"
        confirmLabel="Revoke token"
        busy={revoke.isPending}
        error={revoke.error ? <ErrorNotice error={revoke.error} title="The token was not revoked" /> : undefined}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
        onCancel={() => {
          setRevoking(undefined);
          revoke.reset();
        }}
      >
        The provisioning client using token {revoking?.id} is refused from its next request on.
      </ConfirmDialog>
    </Stack>
  );
}
