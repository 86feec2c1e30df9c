import { Anchor, Badge, Button, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { adminApi, ApiError, type Me } from '../api.js';
import { EmptyState, ErrorNotice, Pager, TableSkeleton } from '../components.js';
import { navigate, withSearch } from '../router.js';

const PAGE_SIZE = 20;

/** Tenants: server-side search (`?q=` prefix) and cursor paging; platform admins create tenants here. */
export function TenantsScreen({ me, search }: { me: Me; search: URLSearchParams }) {
  const q = search.get('q') ?? '';
  const cursor = search.get('cursor') ?? undefined;
  const tenants = useQuery({
    queryKey: ['tenants', q, cursor],
    queryFn: () => adminApi.listTenants({ q: q.trim() || undefined, cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });

  return (
    <Stack gap="md">
      <Title order={1}>Tenants</Title>
      {me.role === 'platform-admin' && <CreateTenantForm />}
      <TextInput
        label="Search tenants"
        description="A slug or display-name prefix"
        value={q}
        onChange={(event) => navigate(withSearch('/tenants', search, { q: event.currentTarget.value, cursor: undefined }), { replace: true })}
        maw={360}
      />
      {tenants.isPending ? (
        <TableSkeleton label="Loading tenants" />
      ) : tenants.isError ? (
        <ErrorNotice error={tenants.error} title="Could not list tenants" />
      ) : tenants.data.items.length === 0 ? (
        <EmptyState title={q ? `No tenant starts with “${q}”` : 'No tenants yet'}>
          {q
            ? 'Check the spelling, or clear the search to see every tenant.'
            : me.role === 'platform-admin'
              ? 'Create the first tenant with the form above: each tenant has its own users, clients, MCP servers and audit log.'
              : 'Ask a platform admin to create a tenant or to give you one.'}
        </EmptyState>
      ) : (
        <>
          <Table striped highlightOnHover aria-label="Tenants">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Slug</Table.Th>
                <Table.Th scope="col">Display name</Table.Th>
                <Table.Th scope="col">Registration</Table.Th>
                <Table.Th scope="col">Users</Table.Th>
                <Table.Th scope="col">Clients</Table.Th>
                <Table.Th scope="col">Servers</Table.Th>
                <Table.Th scope="col">Views</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {tenants.data.items.map((tenant) => (
                <Table.Tr key={tenant.id}>
                  <Table.Td>
                    <Anchor href={`/console/tenants/${tenant.slug}`} onClick={linkTo(`/tenants/${tenant.slug}`)} ff="monospace" size="sm">
                      {tenant.slug}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>{tenant.displayName}</Table.Td>
                  <Table.Td>
                    <Badge variant="light" color="gray">
                      {tenant.registrationPolicy}
                    </Badge>
                  </Table.Td>
                  <Table.Td>{tenant.counts?.users ?? '–'}</Table.Td>
                  <Table.Td>{tenant.counts?.clients ?? '–'}</Table.Td>
                  <Table.Td>{tenant.counts?.servers ?? '–'}</Table.Td>
                  <Table.Td>
                    <Group gap="sm" wrap="nowrap">
                      <Anchor href={`/console/tenants/${tenant.slug}/sessions`} onClick={linkTo(`/tenants/${tenant.slug}/sessions`)} aria-label={`Sessions of ${tenant.slug}`}>
                        Sessions
                      </Anchor>
                      <Anchor href={`/console/tenants/${tenant.slug}/audit`} onClick={linkTo(`/tenants/${tenant.slug}/audit`)} aria-label={`Audit log of ${tenant.slug}`}>
                        Audit log
                      </Anchor>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager cursor={cursor} nextCursor={tenants.data.nextCursor} onCursor={(next) => navigate(withSearch('/tenants', search, { cursor: next }))} />
        </>
      )}
    </Stack>
  );
}

/** A same-app link: a plain anchor (works with the keyboard, middle click, copy link) handled without reload. */
export function linkTo(to: string) {
  return (event: React.MouseEvent) => {
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    navigate(to);
  };
}

const POLICIES = [
  { value: 'open', label: 'Open (any client may register)' },
  { value: 'initial_access_token', label: 'Initial access token required' },
  { value: 'off', label: 'Off (admins register clients)' },
];

function CreateTenantForm() {
  const queryClient = useQueryClient();
  const [slug, setSlug] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [registrationPolicy, setRegistrationPolicy] = useState('open');
  const [created, setCreated] = useState<string | undefined>();
  const create = useMutation({
    mutationFn: () => adminApi.createTenant({ slug: slug.trim(), displayName: displayName.trim(), registrationPolicy }),
    onSuccess: async (tenant) => {
      setCreated(tenant.slug);
      setSlug('');
      setDisplayName('');
      await queryClient.invalidateQueries({ queryKey: ['tenants'] });
    },
  });
  const fieldErrors = create.error instanceof ApiError ? create.error.fieldErrors() : {};
  const slugError = fieldErrors['slug'] ?? (create.error instanceof ApiError && create.error.code === 'conflict' ? create.error.description : undefined);
  const otherError = create.error && !slugError && !fieldErrors['displayName'] && !fieldErrors['registrationPolicy'];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setCreated(undefined);
    create.mutate();
  };

  return (
    <form onSubmit={submit} aria-labelledby="create-tenant-title" noValidate>
      <Stack gap="xs" p="md" style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 8 }} maw={520}>
        <Title order={2} size="h4" id="create-tenant-title">
          Create a tenant
        </Title>
        <TextInput
          label="Slug"
          description="Lowercase letters, digits and dashes; part of every URL of the tenant"
          required
          value={slug}
          onChange={(event) => setSlug(event.currentTarget.value)}
          error={slugError}
          autoComplete="off"
        />
        <TextInput label="Display name" required value={displayName} onChange={(event) => setDisplayName(event.currentTarget.value)} error={fieldErrors['displayName']} autoComplete="off" />
        <NativeSelect label="Client registration" data={POLICIES} value={registrationPolicy} onChange={(event) => setRegistrationPolicy(event.currentTarget.value)} error={fieldErrors['registrationPolicy']} />
        {otherError && <ErrorNotice error={create.error} title="The tenant was not created" />}
        {created && (
          <Text role="status" fw={600} size="sm">
            Tenant {created} created.
          </Text>
        )}
        <Group>
          <Button type="submit" loading={create.isPending}>
            Create tenant
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
