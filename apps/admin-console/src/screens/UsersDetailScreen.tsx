import { Anchor, Button, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { adminApi, type Me } from '../api.js';
import { EmptyState, ErrorNotice, Pager, TableSkeleton } from '../components.js';
import { ConfirmDialog } from '../ConfirmDialog.js';
import { linkTo } from './TenantsScreen.js';
import { EnabledStatus } from './UsersScreen.js';

const PAGE_SIZE = 20;
const when = (iso: string) => new Date(iso).toLocaleString();

type Confirming = 'sign-out' | 'reset' | undefined;

/** One user: disable/enable, sign out everywhere, reset sign-in; their grants (revoke one), login and MCP sessions. */
export function UserDetailScreen({ me, tenant, id }: { me: Me; tenant: string; id: string }) {
  const queryClient = useQueryClient();
  const mayChange = me.role !== 'auditor';
  const readOnly = mayChange ? undefined : 'Auditors have read-only access';
  const [confirming, setConfirming] = useState<Confirming>();
  const [done, setDone] = useState<string>();
  const user = useQuery({ queryKey: ['user', tenant, id], queryFn: () => adminApi.getUser(tenant, id) });
  const refresh = () => queryClient.invalidateQueries({ predicate: (query) => ['user', 'users', 'user-grants', 'user-login-sessions', 'user-mcp-sessions'].includes(String(query.queryKey[0])) });

  const toggle = useMutation({
    mutationFn: (disabled: boolean) => adminApi.updateUser(tenant, id, { disabled }),
    onSuccess: (updated) => setDone(updated.disabled ? 'User disabled: their grants are revoked and they cannot sign in.' : 'User enabled: they can sign in again.'),
    onSettled: refresh,
  });
  const signOut = useMutation({
    mutationFn: () => adminApi.signOutUser(tenant, id),
    onSuccess: (result) => {
      setConfirming(undefined);
      setDone(`Signed out everywhere: ${result.grantsRevoked} grant(s) revoked${result.sessionsEnded === null ? '' : `, ${result.sessionsEnded} session(s) ended`}.`);
    },
    onSettled: refresh,
  });
  const reset = useMutation({
    mutationFn: () => adminApi.resetUserSignIn(tenant, id),
    onSuccess: () => {
      setConfirming(undefined);
      setDone('Sign-in reset: the password is cleared and the user is signed out everywhere; no password signs in until one is set.');
    },
    onSettled: refresh,
  });

  const usersPath = `/tenants/${tenant}/users`;
  return (
    <Stack gap="md">
      <Anchor href={`/console${usersPath}`} onClick={linkTo(usersPath)} size="sm">
        ← All users of {tenant}
      </Anchor>
      {user.isPending ? (
        <TableSkeleton rows={3} label="Loading the user" />
      ) : user.isError ? (
        <ErrorNotice error={user.error} title="Could not load the user" />
      ) : (
        <>
          <Title order={1}>{user.data.email}</Title>
          <Group gap="lg">
            <EnabledStatus disabled={user.data.disabled} />
            <Text size="sm">Display name: {user.data.displayName ?? '–'}</Text>
            <Text size="sm">Password: {user.data.passwordSet ? 'set' : 'none (reset)'}</Text>
            <Text size="sm">Created {when(user.data.createdAt)}</Text>
            <Text size="sm">
              Id <Code>{user.data.id}</Code>
            </Text>
          </Group>
          <Group gap="sm">
            <Button variant="default" disabled={!mayChange} title={readOnly} loading={toggle.isPending} onClick={() => toggle.mutate(!user.data.disabled)}>
              {user.data.disabled ? 'Enable user' : 'Disable user'}
            </Button>
            <Button color="red" variant="light" disabled={!mayChange} title={readOnly} onClick={() => setConfirming('sign-out')}>
              Sign out everywhere
            </Button>
            <Button color="red" variant="light" disabled={!mayChange} title={readOnly} onClick={() => setConfirming('reset')}>
              Reset sign-in
            </Button>
          </Group>
          {done && (
            <Text role="status" fw={600} size="sm">
              {done}
            </Text>
          )}
          {toggle.isError && <ErrorNotice error={toggle.error} title="The user was not changed" />}
          <ConfirmDialog
            open={confirming === 'sign-out'}
            title={`Sign ${user.data.email} out everywhere?`}
            confirmLabel="Sign out everywhere"
            busy={signOut.isPending}
            onConfirm={() => signOut.mutate()}
            onCancel={() => setConfirming(undefined)}
            error={signOut.isError && <ErrorNotice error={signOut.error} title="They were not signed out" />}
          >
            Their browser sign-ins end, every grant they gave a client is revoked (with its refresh and access tokens) and their MCP sessions end. They can sign in again.
          </ConfirmDialog>
          <ConfirmDialog
            open={confirming === 'reset'}
            title={`Reset the sign-in of ${user.data.email}?`}
            confirmLabel="Reset sign-in"
            busy={reset.isPending}
            onConfirm={() => reset.mutate()}
            onCancel={() => setConfirming(undefined)}
            error={reset.isError && <ErrorNotice error={reset.error} title="The sign-in was not reset" />}
          >
            Their password is cleared and they are signed out everywhere; no password signs in until an admin sets a new one.
          </ConfirmDialog>
        </>
      )}
      <UserGrants tenant={tenant} id={id} mayChange={mayChange} />
      <UserLoginSessions tenant={tenant} id={id} />
      <UserMcpSessions tenant={tenant} id={id} />
    </Stack>
  );
}

function UserGrants({ tenant, id, mayChange }: { tenant: string; id: string; mayChange: boolean }) {
  const queryClient = useQueryClient();
  const [cursor, setCursor] = useState<string>();
  const grants = useQuery({ queryKey: ['user-grants', tenant, id, cursor], queryFn: () => adminApi.listUserGrants(tenant, id, { cursor, limit: PAGE_SIZE }), placeholderData: keepPreviousData });
  const revoke = useMutation({
    mutationFn: (grantId: string) => adminApi.revokeUserGrant(tenant, id, grantId),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['user-grants', tenant, id] }),
  });
  return (
    <Stack gap="xs" component="section" aria-labelledby="user-grants-title">
      <Title order={2} size="h3" id="user-grants-title">
        Grants
      </Title>
      {revoke.isError && <ErrorNotice error={revoke.error} title="The grant was not revoked" />}
      {grants.isPending ? (
        <TableSkeleton rows={2} label="Loading grants" />
      ) : grants.isError ? (
        <ErrorNotice error={grants.error} title="Could not list grants" />
      ) : grants.data.items.length === 0 ? (
        <EmptyState title="No grants">This user has not approved any client. A grant appears when they consent to a client at the tenant's login page.</EmptyState>
      ) : (
        <>
          <Table striped aria-label="Grants">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Client</Table.Th>
                <Table.Th scope="col">Scopes</Table.Th>
                <Table.Th scope="col">Resource</Table.Th>
                <Table.Th scope="col">Granted</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {grants.data.items.map((grant) => (
                <Table.Tr key={grant.grantId}>
                  <Table.Td>
                    <Anchor href={`/console/tenants/${tenant}/clients/${encodeURIComponent(grant.clientId)}`} onClick={linkTo(`/tenants/${tenant}/clients/${encodeURIComponent(grant.clientId)}`)} ff="monospace" size="sm">
                      {grant.clientId}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{grant.scopes.join(' ') || '–'}</Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="xs">
                      {grant.resource}
                    </Text>
                  </Table.Td>
                  <Table.Td>{when(grant.createdAt)}</Table.Td>
                  <Table.Td>
                    <Button
                      size="xs"
                      color="red"
                      variant="light"
                      disabled={!mayChange}
                      title={mayChange ? undefined : 'Auditors have read-only access'}
                      loading={revoke.isPending && revoke.variables === grant.grantId}
                      onClick={() => revoke.mutate(grant.grantId)}
                      aria-label={`Revoke the grant to ${grant.clientId}`}
                    >
                      Revoke
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager cursor={cursor} nextCursor={grants.data.nextCursor} onCursor={setCursor} />
        </>
      )}
    </Stack>
  );
}

function UserLoginSessions({ tenant, id }: { tenant: string; id: string }) {
  const [cursor, setCursor] = useState<string>();
  const sessions = useQuery({
    queryKey: ['user-login-sessions', tenant, id, cursor],
    queryFn: () => adminApi.listLoginSessions(tenant, { subject: id, cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  return (
    <Stack gap="xs" component="section" aria-labelledby="user-login-sessions-title">
      <Title order={2} size="h3" id="user-login-sessions-title">
        Browser sign-ins
      </Title>
      {sessions.isPending ? (
        <TableSkeleton rows={2} label="Loading sign-ins" />
      ) : sessions.isError ? (
        <ErrorNotice error={sessions.error} title="Could not list sign-ins" />
      ) : sessions.data.items.length === 0 ? (
        <EmptyState title="Not signed in anywhere">The user has no live browser sign-in. One appears here while they are signed in at the tenant's login page.</EmptyState>
      ) : (
        <>
          <Table striped aria-label="Browser sign-ins">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Client</Table.Th>
                <Table.Th scope="col">Since</Table.Th>
                <Table.Th scope="col">Last seen</Table.Th>
                <Table.Th scope="col">Expires</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sessions.data.items.map((session) => (
                <Table.Tr key={session.id}>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {session.clientId}
                    </Text>
                  </Table.Td>
                  <Table.Td>{when(session.createdAt)}</Table.Td>
                  <Table.Td>{when(session.lastSeenAt)}</Table.Td>
                  <Table.Td>{when(session.expiresAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager cursor={cursor} nextCursor={sessions.data.nextCursor} onCursor={setCursor} />
        </>
      )}
    </Stack>
  );
}

function UserMcpSessions({ tenant, id }: { tenant: string; id: string }) {
  const [cursor, setCursor] = useState<string>();
  const sessions = useQuery({
    queryKey: ['user-mcp-sessions', tenant, id, cursor],
    queryFn: () => adminApi.listSubjectSessions(tenant, { subject: id, cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  return (
    <Stack gap="xs" component="section" aria-labelledby="user-mcp-sessions-title">
      <Title order={2} size="h3" id="user-mcp-sessions-title">
        MCP sessions
      </Title>
      {sessions.isPending ? (
        <TableSkeleton rows={2} label="Loading MCP sessions" />
      ) : sessions.isError ? (
        <ErrorNotice error={sessions.error} title="Could not list MCP sessions" />
      ) : sessions.data.items.length === 0 ? (
        <EmptyState title="No live MCP sessions">None of this user's MCP clients is connected through the gateway right now.</EmptyState>
      ) : (
        <>
          <Table striped aria-label="MCP sessions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Client</Table.Th>
                <Table.Th scope="col">Servers</Table.Th>
                <Table.Th scope="col">Since</Table.Th>
                <Table.Th scope="col">Last seen</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sessions.data.items.map((session) => (
                <Table.Tr key={session.id}>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {session.clientId}
                    </Text>
                  </Table.Td>
                  <Table.Td>{session.servers.join(', ') || '–'}</Table.Td>
                  <Table.Td>{when(session.createdAt)}</Table.Td>
                  <Table.Td>{when(session.lastSeenAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager cursor={cursor} nextCursor={sessions.data.nextCursor} onCursor={setCursor} />
        </>
      )}
    </Stack>
  );
}
