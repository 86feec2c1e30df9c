import { Anchor, Code, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { adminApi, type Me } from '../api.js';
import { EmptyState, ErrorNotice, Pager, TableSkeleton } from '../components.js';
import { navigate, withSearch } from '../router.js';
import { linkTo } from './TenantsScreen.js';

const PAGE_SIZE = 25;

const STATUSES = [
  { value: '', label: 'All users' },
  { value: 'false', label: 'Enabled' },
  { value: 'true', label: 'Disabled' },
];

/** A tenant's users: server-side search (`?q=` email or name prefix), `?disabled=`, cursor paged; all in the URL. */
export function UsersScreen({ me, tenant, search }: { me: Me; tenant: string; search: URLSearchParams }) {
  const q = search.get('q') ?? '';
  const disabled = search.get('disabled') ?? '';
  const cursor = search.get('cursor') ?? undefined;
  const path = `/tenants/${tenant}/users`;
  const users = useQuery({
    queryKey: ['users', tenant, q, disabled, cursor],
    queryFn: () => adminApi.listUsers(tenant, { q: q.trim() || undefined, disabled: disabled || undefined, cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const filtered = Boolean(q.trim() || disabled);

  return (
    <Stack gap="md">
      <Title order={1}>
        Users of <Code fz="inherit">{tenant}</Code>
      </Title>
      <Group align="flex-end" gap="md">
        <TextInput
          label="Search users"
          description="An email or display-name prefix"
          value={q}
          onChange={(event) => navigate(withSearch(path, search, { q: event.currentTarget.value, cursor: undefined }), { replace: true })}
          w={320}
        />
        <NativeSelect label="Status" data={STATUSES} value={disabled} onChange={(event) => navigate(withSearch(path, search, { disabled: event.currentTarget.value, cursor: undefined }))} w={180} />
      </Group>
      {users.isPending ? (
        <TableSkeleton label="Loading users" />
      ) : users.isError ? (
        <ErrorNotice error={users.error} title="Could not list users" />
      ) : users.data.items.length === 0 ? (
        <EmptyState title={filtered ? 'No user matches these filters' : 'No users yet'}>
          {filtered
            ? 'Check the spelling, or clear the search and the status filter to see every user.'
            : me.role === 'auditor'
              ? 'Users appear here once they are created in this tenant.'
              : `Create users with the admin API (POST /admin/v1/tenants/${tenant}/users) or the CLI; they then sign in at the tenant's login page.`}
        </EmptyState>
      ) : (
        <>
          <Table striped highlightOnHover aria-label="Users">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Email</Table.Th>
                <Table.Th scope="col">Display name</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Password</Table.Th>
                <Table.Th scope="col">Created</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {users.data.items.map((user) => (
                <Table.Tr key={user.id}>
                  <Table.Td>
                    <Anchor href={`/console${path}/${user.id}`} onClick={linkTo(`${path}/${user.id}`)}>
                      {user.email}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{user.displayName ?? '–'}</Table.Td>
                  <Table.Td>
                    <EnabledStatus disabled={user.disabled} />
                  </Table.Td>
                  <Table.Td>{user.passwordSet ? 'Set' : <Text size="sm">Reset (none set)</Text>}</Table.Td>
                  <Table.Td>{new Date(user.createdAt).toLocaleString()}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager cursor={cursor} nextCursor={users.data.nextCursor} onCursor={(next) => navigate(withSearch(path, search, { cursor: next }))} />
        </>
      )}
    </Stack>
  );
}

/** Enabled or disabled (a user or a client), in words dark enough for small text (AA; Mantine's badge shades are not). */
export function EnabledStatus({ disabled }: { disabled: boolean }) {
  return (
    <Text span fw={700} size="sm" c={disabled ? '#8b1a1a' : '#1e5631'}>
      {disabled ? 'Disabled' : 'Enabled'}
    </Text>
  );
}
