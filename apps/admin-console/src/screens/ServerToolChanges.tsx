import { Badge, Button, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { adminApi, type PendingToolChange } from '../api.js';
import { ErrorNotice, TableSkeleton } from '../components.js';

/** The pending changes of a server's tools (shared by the tools table's badges and this section). */
export function useToolChanges(tenant: string, name: string) {
  return useQuery({ queryKey: ['tool-changes', tenant, name], queryFn: () => adminApi.listToolChanges(tenant, name) });
}

const json = (value: unknown) => (value === undefined ? '–' : JSON.stringify(value, null, 2));

/**
 * "What changed since last seen": tools whose definition a gateway saw change upstream after it was approved
 * (or new ones the tenant holds for approval), each with the API's field-level diff and an Approve action
 * that approves exactly the definition shown (its hash; a definition that changed again is refused with 409).
 */
export function ServerToolChanges({ tenant, name, mayApprove }: { tenant: string; name: string; mayApprove: boolean }) {
  const changes = useToolChanges(tenant, name);
  const [approved, setApproved] = useState<string>();
  return (
    <Stack gap="sm">
      <Title order={2} size="h3" id="tool-changes-title">
        Changed since approved
      </Title>
      <div aria-live="polite">{approved && <Text size="sm">Approved the new definition of {approved}: clients get it again.</Text>}</div>
      {changes.isPending ? (
        <TableSkeleton rows={2} label="Loading changed tools" />
      ) : changes.isError ? (
        <ErrorNotice error={changes.error} title="Could not list the changed tools" />
      ) : changes.data.items.length === 0 ? (
        <Text size="sm" data-testid="no-tool-changes">
          No tool has changed since it was approved. When a gateway sees an upstream change a tool's definition, the tool is withheld from clients (or served
          flagged, by the tenant's pinning policy) and shows here with what changed, to approve.
        </Text>
      ) : (
        changes.data.items.map((change) => <ToolChange key={change.name} tenant={tenant} server={name} change={change} mayApprove={mayApprove} onApproved={setApproved} />)
      )}
    </Stack>
  );
}

function ToolChange({ tenant, server, change, mayApprove, onApproved }: { tenant: string; server: string; change: PendingToolChange; mayApprove: boolean; onApproved: (tool: string) => void }) {
  const queryClient = useQueryClient();
  const approve = useMutation({
    mutationFn: () => adminApi.approveTool(tenant, server, change.name, change.seenHash),
    onSuccess: () => onApproved(change.name),
    // A conflict means it changed again: the list is read again either way, showing the newest diff.
    onSettled: async () => {
      await queryClient.invalidateQueries({ queryKey: ['tool-changes', tenant, server] });
      await queryClient.invalidateQueries({ queryKey: ['server', tenant, server] });
    },
  });
  const headingId = `tool-change-${change.name}`;
  return (
    <Stack gap="xs" p="md" role="group" aria-labelledby={headingId} style={{ border: '1px solid var(--mantine-color-orange-6)', borderRadius: 8 }} data-testid="tool-change">
      <Group justify="space-between" wrap="wrap">
        <Group gap="xs">
          <Title order={3} size="h4" id={headingId}>
            <Code fz="inherit">{change.name}</Code>
          </Title>
          <Badge color="orange" variant="light">
            {change.change === 'new' ? 'new, held for approval' : 'definition changed'}
          </Badge>
        </Group>
        <Button onClick={() => approve.mutate()} loading={approve.isPending} disabled={!mayApprove} title={mayApprove ? undefined : 'Auditors cannot approve tools'} aria-label={`Approve the new definition of ${change.name}`}>
          Approve
        </Button>
      </Group>
      <Text size="xs">
        Seen {change.seenAt ? new Date(change.seenAt).toLocaleString() : '–'}
        {change.approvedAt ? ` · approved definition from ${new Date(change.approvedAt).toLocaleString()}` : ''} · seen hash <Code>{change.seenHash.slice(0, 12)}</Code>
      </Text>
      {approve.isError && <ErrorNotice error={approve.error} title={`${change.name} was not approved`} />}
      <Table aria-label={`What changed in ${change.name}`} withTableBorder striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Field</Table.Th>
            <Table.Th scope="col">Change</Table.Th>
            <Table.Th scope="col">Approved</Table.Th>
            <Table.Th scope="col">Seen upstream</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {change.differences.map((difference) => (
            <Table.Tr key={difference.path}>
              <Table.Td>
                <Code>{difference.path}</Code>
              </Table.Td>
              <Table.Td>{difference.change}</Table.Td>
              <Table.Td>
                <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', maxWidth: 360 }}>
                  {json(difference.before)}
                </Code>
              </Table.Td>
              <Table.Td>
                <Code block style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word', maxWidth: 360 }}>
                  {json(difference.after)}
                </Code>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
