import { Badge, Button, Code, Group, NativeSelect, PasswordInput, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { adminApi, ApiError, type Me, type Role, type RoleAssignment } from '../api.js';
import { ConfirmDialog } from '../ConfirmDialog.js';
import { EmptyState, ErrorNotice, Pager, TableSkeleton } from '../components.js';
import { navigate, withSearch } from '../router.js';

const PAGE_SIZE = 20;
const PATH = '/admins';

const ROLES: Array<{ value: Role; label: string }> = [
  { value: 'tenant-admin', label: 'Tenant admin (the named tenants)' },
  { value: 'auditor', label: 'Auditor (read only)' },
  { value: 'platform-admin', label: 'Platform admin (everything)' },
];

/** How a principal is named on this screen (and in the revoke button's label). */
const who = (assignment: RoleAssignment) => assignment.email ?? assignment.name ?? assignment.principalId;

/**
 * Who may administer Airlock (platform admins only, as the API's role routes): the role assignments,
 * searched and paged; a role granted to an admin person (found by email, or created with a password and a
 * TOTP enrollment shown once); a role revoked after confirmation.
 */
export function AdminsScreen({ me, search }: { me: Me; search: URLSearchParams }) {
  if (me.role !== 'platform-admin') {
    return (
      <Stack>
        <Title order={1}>Admins</Title>
        <Text>Only platform admins see and change who holds an admin role.</Text>
      </Stack>
    );
  }
  return <AdminsList search={search} />;
}

function AdminsList({ search }: { search: URLSearchParams }) {
  const q = search.get('q') ?? '';
  const cursor = search.get('cursor') ?? undefined;
  const queryClient = useQueryClient();
  const assignments = useQuery({
    queryKey: ['role-assignments', q, cursor],
    queryFn: () => adminApi.listRoleAssignments({ q: q.trim() || undefined, cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const [doomed, setDoomed] = useState<RoleAssignment | undefined>();
  const [revoked, setRevoked] = useState<string | undefined>();
  const revoke = useMutation({
    mutationFn: (assignment: RoleAssignment) => adminApi.deleteRoleAssignment(assignment.principalType, assignment.principalId),
    onSuccess: async (_, assignment) => {
      setDoomed(undefined);
      setRevoked(`The ${assignment.role} role of ${who(assignment)} was revoked; their next admin call is refused.`);
      await queryClient.invalidateQueries({ queryKey: ['role-assignments'] });
    },
  });

  return (
    <Stack gap="md">
      <Title order={1}>Admins</Title>
      <GrantRoleForm />
      <TextInput
        label="Search admins"
        description="An email, name or client id prefix"
        value={q}
        onChange={(event) => navigate(withSearch(PATH, search, { q: event.currentTarget.value, cursor: undefined }), { replace: true })}
        maw={360}
      />
      {revoked && (
        <Text role="status" fw={600} size="sm">
          {revoked}
        </Text>
      )}
      {assignments.isPending ? (
        <TableSkeleton label="Loading role assignments" />
      ) : assignments.isError ? (
        <ErrorNotice error={assignments.error} title="Could not list the role assignments" />
      ) : assignments.data.items.length === 0 ? (
        <EmptyState title={q ? `Nobody starting with “${q}” holds a role` : 'Nobody holds an admin role'}>
          {q ? 'Check the spelling, or clear the search to see every admin.' : 'Grant a role with the form above.'}
        </EmptyState>
      ) : (
        <>
          <Table striped highlightOnHover aria-label="Role assignments">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Who</Table.Th>
                <Table.Th scope="col">Kind</Table.Th>
                <Table.Th scope="col">Role</Table.Th>
                <Table.Th scope="col">Tenants</Table.Th>
                <Table.Th scope="col">Since</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {assignments.data.items.map((assignment) => (
                <Table.Tr key={`${assignment.principalType}/${assignment.principalId}`}>
                  <Table.Td>
                    <Stack gap={0}>
                      <Text size="sm">{who(assignment)}</Text>
                      {assignment.email && assignment.name && (
                        <Text size="xs" c="dimmed">
                          {assignment.name}
                        </Text>
                      )}
                    </Stack>
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {assignment.principalType === 'users' ? 'Person' : 'Automation client'}
                      {assignment.disabled && (
                        <Badge variant="light" color="gray" c="dark">
                          disabled
                        </Badge>
                      )}
                    </Group>
                  </Table.Td>
                  <Table.Td>{assignment.role}</Table.Td>
                  <Table.Td>{assignment.tenants === 'all' ? 'every tenant' : assignment.tenants.join(', ') || '–'}</Table.Td>
                  <Table.Td>{new Date(assignment.createdAt).toLocaleString()}</Table.Td>
                  <Table.Td>
                    <Button size="xs" color="red" variant="light" onClick={() => (revoke.reset(), setDoomed(assignment))} aria-label={`Revoke the role of ${who(assignment)}`}>
                      Revoke
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager cursor={cursor} nextCursor={assignments.data.nextCursor} onCursor={(next) => navigate(withSearch(PATH, search, { cursor: next }))} />
        </>
      )}
      <ConfirmDialog
        open={doomed !== undefined}
        title="Revoke this admin role?"
        confirmLabel="Revoke role"
        busy={revoke.isPending}
        error={revoke.isError ? <ErrorNotice error={revoke.error} title="The role was not revoked" /> : undefined}
        onConfirm={() => doomed && revoke.mutate(doomed)}
        onCancel={() => setDoomed(undefined)}
      >
        {doomed ? `${who(doomed)} loses the ${doomed.role} role; their next admin call is refused. The person or client itself is kept.` : ''}
      </ConfirmDialog>
    </Stack>
  );
}

/** A refusal of the form's own checks, shown on the field it is about. */
class FieldError extends Error {
  constructor(
    readonly field: 'email' | 'password' | 'tenants',
    message: string,
  ) {
    super(message);
  }
}

interface Granted {
  email: string;
  role: Role;
  /** A new person's otpauth:// URI (their TOTP secret): shown this once, to hand over out of band. */
  otpauthUri?: string;
}

function GrantRoleForm() {
  const queryClient = useQueryClient();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('tenant-admin');
  const [tenants, setTenants] = useState('');
  const [granted, setGranted] = useState<Granted | undefined>();
  const grant = useMutation({
    mutationFn: async (): Promise<Granted> => {
      const address = email.trim();
      if (!address) throw new FieldError('email', 'enter the email of the person');
      const slugs = tenants
        .split(',')
        .map((slug) => slug.trim())
        .filter(Boolean);
      if (role !== 'platform-admin' && slugs.length === 0) throw new FieldError('tenants', role === 'auditor' ? 'name the tenants, or all' : 'name at least one tenant');
      const body = role === 'platform-admin' ? { role } : { role, tenants: role === 'auditor' && slugs.length === 1 && slugs[0] === 'all' ? ('all' as const) : slugs };
      // An existing admin person by exact email; else a new one, which needs a password.
      const found = (await adminApi.listAdminUsers({ q: address, limit: 10 })).items.find((user) => user.email.toLowerCase() === address.toLowerCase());
      if (found) {
        await adminApi.putRoleAssignment('users', found.id, body);
        return { email: found.email, role };
      }
      if (!password) throw new FieldError('password', 'no password for a new person: nobody with this email is an admin person yet, so give a password to create one');
      const person = await adminApi.createAdminUser({ email: address, password });
      const enrollment = await adminApi.enrollAdminTotp(person.id);
      await adminApi.putRoleAssignment('users', person.id, body);
      return { email: person.email, role, otpauthUri: enrollment.otpauth_uri };
    },
    onSuccess: async (done) => {
      setGranted(done);
      setEmail('');
      setPassword('');
      setTenants('');
      await queryClient.invalidateQueries({ queryKey: ['role-assignments'] });
    },
  });
  const error = grant.error;
  const fieldErrors: Record<string, string> = error instanceof FieldError ? { [error.field]: error.message } : error instanceof ApiError ? error.fieldErrors() : {};
  if (error instanceof ApiError && error.code === 'conflict') fieldErrors['email'] = error.description;
  const otherError = error && Object.keys(fieldErrors).length === 0;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setGranted(undefined);
    grant.mutate();
  };

  return (
    <form onSubmit={submit} aria-labelledby="grant-role-title" noValidate>
      <Stack gap="xs" p="md" style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8 }} maw={560}>
        <Title order={2} size="h4" id="grant-role-title">
          Grant an admin role
        </Title>
        <TextInput label="Email" description="An admin person, or a new one to create" required type="email" value={email} onChange={(event) => setEmail(event.currentTarget.value)} error={fieldErrors['email']} autoComplete="off" />
        <PasswordInput
          label="Password for a new person"
          description="Only when nobody with this email is an admin person yet (at least 8 characters)"
          value={password}
          onChange={(event) => setPassword(event.currentTarget.value)}
          error={fieldErrors['password']}
          // Mantine marks only TextInput's input aria-invalid; the password field says it too.
          aria-invalid={fieldErrors['password'] ? true : undefined}
          autoComplete="new-password"
        />
        <NativeSelect label="Role" data={ROLES} value={role} onChange={(event) => setRole(event.currentTarget.value as Role)} error={fieldErrors['role']} />
        {role !== 'platform-admin' && (
          <TextInput
            label="Tenants"
            description={role === 'auditor' ? 'Tenant slugs, comma separated, or all' : 'Tenant slugs, comma separated'}
            required
            value={tenants}
            onChange={(event) => setTenants(event.currentTarget.value)}
            error={fieldErrors['tenants']}
            autoComplete="off"
          />
        )}
        {otherError && <ErrorNotice error={error} title="The role was not granted" />}
        {granted && (
          <Stack gap={4} role="status">
            <Text fw={600} size="sm">
              {granted.email} now holds the {granted.role} role.
            </Text>
            {granted.otpauthUri && (
              <>
                <Text size="sm">New person: hand them this authenticator enrollment out of band (shown this once; it holds their one-time-code secret).</Text>
                <Code block data-testid="otpauth-uri" style={{ whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                  {granted.otpauthUri}
                </Code>
              </>
            )}
          </Stack>
        )}
        <Group>
          <Button type="submit" loading={grant.isPending}>
            Grant role
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
