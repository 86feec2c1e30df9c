import { Button, Code, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import { adminApi, type Me, type SessionSort } from '../api.js';
import { ConfirmDialog } from '../ConfirmDialog.js';
import { EmptyState, ErrorNotice, Pager, TableSkeleton } from '../components.js';
import { navigate, withSearch } from '../router.js';

const PAGE_SIZE = 25;

const SORTS: Array<{ value: SessionSort; label: string }> = [
  { value: '-last_seen', label: 'Last activity, newest first' },
  { value: 'last_seen', label: 'Last activity, oldest first' },
  { value: '-created', label: 'Started, newest first' },
  { value: 'created', label: 'Started, oldest first' },
];
/** What the screen shows without `?sort=`: the most recently active sessions first. */
const DEFAULT_SORT: SessionSort = '-last_seen';

/** What a bulk revoke is about to end: the selected rows, or every session matching the filters. */
type Pending = { kind: 'selected'; ids: string[] } | { kind: 'matching'; client?: string; subject?: string };

/**
 * A tenant's live MCP sessions (refreshed every few seconds): filtered by client and subject, sorted by the
 * API (last activity or start), cursor paged, all in the URL; admins revoke one, the selected ones, or every
 * one matching the filters (one API call, each session audited), after a confirmation.
 */
export function SessionsScreen({ me, tenant, search }: { me: Me; tenant: string; search: URLSearchParams }) {
  const cursor = search.get('cursor') ?? undefined;
  const client = search.get('client') ?? '';
  const subject = search.get('subject') ?? '';
  const sortParam = search.get('sort');
  const sort = SORTS.some((option) => option.value === sortParam) ? (sortParam as SessionSort) : DEFAULT_SORT;
  const path = `/tenants/${tenant}/sessions`;
  const queryClient = useQueryClient();
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [pending, setPending] = useState<Pending>();
  const [done, setDone] = useState<string>();
  const sessions = useQuery({
    queryKey: ['sessions', tenant, client, subject, sort, cursor],
    queryFn: () => adminApi.listSessions(tenant, { cursor, limit: PAGE_SIZE, client: client || undefined, subject: subject || undefined, sort }),
    placeholderData: keepPreviousData,
    refetchInterval: 5_000,
  });
  const revoke = useMutation({
    mutationFn: (id: string) => adminApi.revokeSession(tenant, id),
    onSuccess: (_result, id) => setDone(`Revoked session ${id}.`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['sessions', tenant] }),
  });
  const revokeMany = useMutation({
    mutationFn: (what: Pending) =>
      what.kind === 'selected' ? adminApi.revokeSessions(tenant, { ids: what.ids }) : adminApi.revokeSessions(tenant, { client: what.client, subject: what.subject }),
    onSuccess: (result) => {
      setPending(undefined);
      setSelected(new Set());
      const notLive = result.notLive?.length ? ` ${result.notLive.length} had already ended.` : '';
      setDone(`Revoked ${result.revoked} session${result.revoked === 1 ? '' : 's'}.${notLive}`);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['sessions', tenant] }),
  });
  const mayRevoke = me.role !== 'auditor';
  const items = sessions.data?.items ?? [];
  // Rows that ended since they were ticked drop out of the selection.
  const visibleSelected = items.filter((session) => selected.has(session.id)).map((session) => session.id);
  const allOnPage = items.length > 0 && visibleSelected.length === items.length;
  const filtered = Boolean(client || subject);
  const toggle = (id: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(id);
      else next.delete(id);
      return next;
    });

  return (
    <Stack gap="md">
      <Title order={1}>
        Live MCP sessions of <Code fz="inherit">{tenant}</Code>
      </Title>
      <SessionFilters key={`${client}\u0000${subject}`} client={client} subject={subject} onApply={(next) => navigate(withSearch(path, search, { ...next, cursor: undefined }))} />
      <Group align="flex-end" gap="md">
        <NativeSelect
          label="Sort by"
          data={SORTS}
          value={sort}
          onChange={(event) => navigate(withSearch(path, search, { sort: event.currentTarget.value === DEFAULT_SORT ? undefined : event.currentTarget.value, cursor: undefined }))}
          w={260}
        />
        {mayRevoke && (
          <>
            <Button color="red" variant="light" disabled={visibleSelected.length === 0} onClick={() => setPending({ kind: 'selected', ids: visibleSelected })}>
              Revoke selected ({visibleSelected.length})
            </Button>
            {filtered && (
              <Button color="red.9" variant="outline" onClick={() => setPending({ kind: 'matching', ...(client ? { client } : {}), ...(subject ? { subject } : {}) })}>
                Revoke all matching
              </Button>
            )}
          </>
        )}
      </Group>
      <div aria-live="polite" data-testid="sessions-status">
        {done && <Text size="sm">{done}</Text>}
      </div>
      {revoke.isError && <ErrorNotice error={revoke.error} title="The session was not revoked" />}
      {sessions.isPending ? (
        <TableSkeleton label="Loading sessions" />
      ) : sessions.isError ? (
        <ErrorNotice error={sessions.error} title="Could not list sessions" />
      ) : items.length === 0 ? (
        filtered ? (
          <EmptyState title="No live session matches these filters">Check the client id or subject (exact match), or clear the filters to see every live session.</EmptyState>
        ) : (
          <EmptyState title="No live MCP sessions">
            Sessions appear here while MCP clients are connected to this tenant through the gateway. Add an MCP server to the tenant and connect a client to its endpoint
            (<Code>/t/{tenant}/mcp</Code>); this list refreshes every few seconds.
          </EmptyState>
        )
      ) : (
        <>
          <Table striped aria-label="Live MCP sessions">
            <Table.Thead>
              <Table.Tr>
                {mayRevoke && (
                  <Table.Th scope="col" w={40}>
                    <SelectBox
                      label="Select every session on this page"
                      checked={allOnPage}
                      indeterminate={visibleSelected.length > 0 && !allOnPage}
                      onChange={(event) => {
                        const on = event.currentTarget.checked;
                        setSelected((current) => {
                          const next = new Set(current);
                          for (const session of items) {
                            if (on) next.add(session.id);
                            else next.delete(session.id);
                          }
                          return next;
                        });
                      }}
                    />
                  </Table.Th>
                )}
                <Table.Th scope="col">Subject</Table.Th>
                <Table.Th scope="col">Client</Table.Th>
                <Table.Th scope="col">Servers</Table.Th>
                <Table.Th scope="col">Protocol</Table.Th>
                <Table.Th scope="col" aria-sort={sort === 'created' ? 'ascending' : sort === '-created' ? 'descending' : undefined}>
                  Since
                </Table.Th>
                <Table.Th scope="col" aria-sort={sort === 'last_seen' ? 'ascending' : sort === '-last_seen' ? 'descending' : undefined}>
                  Last seen
                </Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((session) => (
                <Table.Tr key={session.id}>
                  {mayRevoke && (
                    <Table.Td>
                      <SelectBox label={`Select session ${session.id}`} checked={selected.has(session.id)} onChange={(event) => toggle(session.id, event.currentTarget.checked)} />
                    </Table.Td>
                  )}
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
      <ConfirmDialog
        open={pending !== undefined}
        title={pending?.kind === 'selected' ? `Revoke ${pending.ids.length} session${pending.ids.length === 1 ? '' : 's'}?` : 'Revoke every matching session?'}
        confirmLabel="Revoke"
        busy={revokeMany.isPending}
        error={revokeMany.isError ? <ErrorNotice error={revokeMany.error} title="The sessions were not revoked" /> : undefined}
        onConfirm={() => pending && revokeMany.mutate(pending)}
        onCancel={() => {
          setPending(undefined);
          revokeMany.reset();
        }}
      >
        {pending?.kind === 'selected'
          ? 'The selected MCP sessions end at once: their clients get 404 on their next request and must connect again. Each one is recorded in the audit log.'
          : `Every live MCP session${pending?.kind === 'matching' && pending.client ? ` of client ${pending.client}` : ''}${pending?.kind === 'matching' && pending.subject ? ` of subject ${pending.subject}` : ''} ends at once, on every page, not only the ones shown. Each one is recorded in the audit log.`}
      </ConfirmDialog>
    </Stack>
  );
}

/** Client and subject filters, applied on submit (exact match, as the API filters), so typing does not reload the list. */
function SessionFilters({ client, subject, onApply }: { client: string; subject: string; onApply: (filters: { client: string | undefined; subject: string | undefined }) => void }) {
  const [clientText, setClientText] = useState(client);
  const [subjectText, setSubjectText] = useState(subject);
  const apply = (event: FormEvent) => {
    event.preventDefault();
    onApply({ client: clientText.trim() || undefined, subject: subjectText.trim() || undefined });
  };
  return (
    <form onSubmit={apply} aria-label="Filter sessions">
      <Group align="flex-end" gap="md">
        <TextInput label="Client id" description="Exact client id" value={clientText} onChange={(event) => setClientText(event.currentTarget.value)} w={280} autoComplete="off" />
        <TextInput label="Subject" description="Exact user id (subject)" value={subjectText} onChange={(event) => setSubjectText(event.currentTarget.value)} w={280} autoComplete="off" />
        <Button type="submit" variant="default">
          Apply filters
        </Button>
        {(client || subject) && (
          <Button variant="subtle" onClick={() => onApply({ client: undefined, subject: undefined })}>
            Clear filters
          </Button>
        )}
      </Group>
    </form>
  );
}

/**
 * A row's selection box: the browser's own checkbox (labelled, Space toggles it), not Mantine's: with its
 * wrapper, icon and styles on each of 25 rows the console bench's first sessions page took about twice
 * as long (p50 789 ms against 444 ms, same loaded machine).
 */
function SelectBox({ label, checked, indeterminate = false, onChange }: { label: string; checked: boolean; indeterminate?: boolean; onChange: (event: ChangeEvent<HTMLInputElement>) => void }) {
  const ref = useRef<HTMLInputElement>(null);
  // `indeterminate` is a DOM property only (no attribute).
  useEffect(() => {
    if (ref.current) ref.current.indeterminate = indeterminate;
  }, [indeterminate]);
  return <input ref={ref} type="checkbox" className="row-select" aria-label={label} checked={checked} onChange={onChange} />;
}
