import { Code, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { adminApi } from '../api.js';
import { EmptyState, ErrorNotice, Pager, TableSkeleton } from '../components.js';
import { navigate, withSearch } from '../router.js';

const PAGE_SIZE = 25;
const OUTCOMES = [
  { value: '', label: 'Any outcome' },
  { value: 'success', label: 'Success' },
  { value: 'failure', label: 'Failure' },
  { value: 'denied', label: 'Denied' },
  { value: 'refused', label: 'Refused' },
];

/** A tenant's audit log, newest first: filters by action and outcome kept in the URL; cursor paged. */
export function AuditScreen({ tenant, search }: { tenant: string; search: URLSearchParams }) {
  const path = `/tenants/${tenant}/audit`;
  const action = search.get('action') ?? '';
  const outcome = search.get('outcome') ?? '';
  const cursor = search.get('cursor') ?? undefined;
  const [actionDraft, setActionDraft] = useState(action);
  const records = useQuery({
    queryKey: ['audit', tenant, action, outcome, cursor],
    queryFn: () => adminApi.listAudit(tenant, { action: action || undefined, outcome: outcome || undefined, cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const applyAction = (event: FormEvent) => {
    event.preventDefault();
    navigate(withSearch(path, search, { action: actionDraft.trim(), cursor: undefined }));
  };

  return (
    <Stack gap="md">
      <Title order={1}>
        Audit log of <Code fz="inherit">{tenant}</Code>
      </Title>
      <form onSubmit={applyAction} aria-label="Audit log filters">
        <Group align="flex-end">
          <TextInput label="Action" description="Exact action name, then Enter" placeholder="admin.tenant.create" value={actionDraft} onChange={(event) => setActionDraft(event.currentTarget.value)} />
          <NativeSelect
            label="Outcome"
            description="How it ended"
            data={OUTCOMES}
            value={outcome}
            onChange={(event) => navigate(withSearch(path, search, { outcome: event.currentTarget.value, cursor: undefined }))}
          />
        </Group>
      </form>
      {records.isPending ? (
        <TableSkeleton label="Loading audit records" />
      ) : records.isError ? (
        <ErrorNotice error={records.error} title="Could not read the audit log" />
      ) : records.data.items.length === 0 ? (
        <EmptyState title={action || outcome ? 'No record matches these filters' : 'No audit records yet'}>
          {action || outcome ? 'Clear or change the filters above to see more.' : 'Changes made to this tenant through the admin API, the CLI or this console are recorded here.'}
        </EmptyState>
      ) : (
        <>
          <Table striped aria-label="Audit records">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">When</Table.Th>
                <Table.Th scope="col">Action</Table.Th>
                <Table.Th scope="col">Outcome</Table.Th>
                <Table.Th scope="col">Actor</Table.Th>
                <Table.Th scope="col">Target</Table.Th>
                <Table.Th scope="col">Request id</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {records.data.items.map((record) => (
                <Table.Tr key={record.id}>
                  <Table.Td>{new Date(record.occurredAt).toLocaleString()}</Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {record.action}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <span className={`outcome outcome-${record.outcome}`}>{record.outcome}</span>
                  </Table.Td>
                  <Table.Td>{record.actor.subject ?? record.actor.clientId ?? '–'}</Table.Td>
                  <Table.Td>{record.target ?? '–'}</Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="xs">
                      {record.requestId ?? '–'}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager cursor={cursor} nextCursor={records.data.nextCursor} onCursor={(next) => navigate(withSearch(path, search, { cursor: next }))} />
        </>
      )}
    </Stack>
  );
}
