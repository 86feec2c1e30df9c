import { Button, Code, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { AuditDetailDialog } from '../AuditDetailDialog.js';
import { adminApi, exportAudit, type AuditRecord } from '../api.js';
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

/** `datetime-local` input value (local time, minutes) of an ISO instant; empty when absent or invalid. */
function toLocalInput(iso: string): string {
  const date = new Date(iso);
  if (!iso || Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/** The ISO instant (UTC) of a `datetime-local` value, as the API's `from`/`to` take it; empty when cleared. */
function fromLocalInput(value: string): string {
  const date = new Date(value);
  return value && !Number.isNaN(date.getTime()) ? date.toISOString() : '';
}

/**
 * An audit log, newest first: a tenant's (`tenant`) or the platform's own (no `tenant`). Filters (action,
 * outcome, time range `from`/`to`) kept in the URL; cursor paged; one record's detail in a dialog; the
 * JSON-lines export of the current filters.
 */
export function AuditScreen({ tenant, search }: { tenant?: string; search: URLSearchParams }) {
  const path = tenant === undefined ? '/audit' : `/tenants/${tenant}/audit`;
  const action = search.get('action') ?? '';
  const outcome = search.get('outcome') ?? '';
  const from = search.get('from') ?? '';
  const to = search.get('to') ?? '';
  const cursor = search.get('cursor') ?? undefined;
  const filters = { action: action || undefined, outcome: outcome || undefined, from: from || undefined, to: to || undefined };
  const [actionDraft, setActionDraft] = useState(action);
  const [opened, setOpened] = useState<AuditRecord>();
  const records = useQuery({
    queryKey: ['audit', tenant ?? '(platform)', action, outcome, from, to, cursor],
    queryFn: () => adminApi.listAudit(tenant, { ...filters, cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const applyAction = (event: FormEvent) => {
    event.preventDefault();
    navigate(withSearch(path, search, { action: actionDraft.trim(), cursor: undefined }));
  };
  const filtered = Boolean(action || outcome || from || to);

  return (
    <Stack gap="md">
      <Title order={1}>
        {tenant === undefined ? (
          'Platform audit log'
        ) : (
          <>
            Audit log of <Code fz="inherit">{tenant}</Code>
          </>
        )}
      </Title>
      {tenant === undefined && <Text size="sm">Tenants created and deleted, admin people, roles and admin clients, and the refused attempts of signed-in admins.</Text>}
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
          <TextInput
            type="datetime-local"
            label="From"
            description="Local time, inclusive"
            value={toLocalInput(from)}
            onChange={(event) => navigate(withSearch(path, search, { from: fromLocalInput(event.currentTarget.value), cursor: undefined }), { replace: true })}
          />
          <TextInput
            type="datetime-local"
            label="To"
            description="Local time, exclusive"
            value={toLocalInput(to)}
            onChange={(event) => navigate(withSearch(path, search, { to: fromLocalInput(event.currentTarget.value), cursor: undefined }), { replace: true })}
          />
          <ExportButton tenant={tenant} filters={filters} />
        </Group>
      </form>
      {records.isPending ? (
        <TableSkeleton label="Loading audit records" />
      ) : records.isError ? (
        <ErrorNotice error={records.error} title="Could not read the audit log" />
      ) : records.data.items.length === 0 ? (
        <EmptyState title={filtered ? 'No record matches these filters' : 'No audit records yet'}>
          {filtered ? 'Clear or change the filters above to see more.' : tenant === undefined ? 'Platform changes made through the admin API, the CLI or this console are recorded here.' : 'Changes made to this tenant through the admin API, the CLI or this console are recorded here.'}
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
                <Table.Th scope="col">Detail</Table.Th>
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
                  <Table.Td>
                    <Button variant="subtle" size="compact-sm" onClick={() => setOpened(record)}>
                      Details
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager cursor={cursor} nextCursor={records.data.nextCursor} onCursor={(next) => navigate(withSearch(path, search, { cursor: next }))} />
        </>
      )}
      <AuditDetailDialog record={opened} onClose={() => setOpened(undefined)} />
    </Stack>
  );
}

/** Downloads the JSON lines of the current filters (every page, up to the API's cap) as a file. */
function ExportButton({ tenant, filters }: { tenant: string | undefined; filters: { action?: string; outcome?: string; from?: string; to?: string } }) {
  const [state, setState] = useState<{ busy: boolean; error?: unknown; truncated?: boolean }>({ busy: false });
  const download = async () => {
    setState({ busy: true });
    try {
      const { blob, truncated } = await exportAudit(tenant, filters);
      const href = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = href;
      link.download = `audit-${tenant ?? 'platform'}-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`;
      link.click();
      // After the click has handed the file to the browser.
      setTimeout(() => URL.revokeObjectURL(href), 10_000);
      setState({ busy: false, truncated });
    } catch (error) {
      setState({ busy: false, error });
    }
  };
  return (
    <Stack gap={4}>
      <Button variant="default" onClick={() => void download()} loading={state.busy}>
        Export JSON lines
      </Button>
      {state.truncated && (
        <Text size="xs" role="status">
          The export stopped at the API's limit: narrow the time range.
        </Text>
      )}
      {state.error !== undefined && <ErrorNotice error={state.error} title="Could not export" />}
    </Stack>
  );
}
