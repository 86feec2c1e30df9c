import { Button, Group, NativeSelect, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { createGroupMappingRequestSchema } from '@airlock/contracts';
import { ApiError } from '../api.js';
import { EmptyState, ErrorNotice, Pager, TableSkeleton } from '../components.js';
import { ConfirmDialog } from '../ConfirmDialog.js';
import { identityApi, words, type GroupMapping } from '../identity-api.js';
import { navigate, withSearch } from '../router.js';

const PAGE_SIZE = 25;

/**
 * A tenant's group mappings: a group (as a provider asserts it, or a SCIM group) grants scopes. Filtered by
 * provider (`?provider=<id>`, kept in the URL), paged (`?mcursor=`); add, remove (confirmed).
 */
export function GroupMappingsSection({ tenant, writes, search, path }: { tenant: string; writes: boolean; search: URLSearchParams; path: string }) {
  const client = useQueryClient();
  const providerId = search.get('provider') ?? undefined;
  const cursor = search.get('mcursor') ?? undefined;
  const providers = useQuery({ queryKey: ['identity-providers', tenant, 'all'], queryFn: () => identityApi.listProviders(tenant, { limit: 200 }) });
  const mappings = useQuery({
    queryKey: ['group-mappings', tenant, providerId, cursor],
    queryFn: () => identityApi.listMappings(tenant, { providerId, cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const [groupName, setGroupName] = useState('');
  const [scopes, setScopes] = useState('');
  const [forProvider, setForProvider] = useState(providerId ?? '');
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [removing, setRemoving] = useState<GroupMapping | undefined>();

  const add = useMutation({
    mutationFn: (body: { providerId: string | null; groupName: string; scopes: string[] }) => identityApi.createMapping(tenant, body),
    onSuccess: async () => {
      setGroupName('');
      setScopes('');
      await client.invalidateQueries({ queryKey: ['group-mappings', tenant] });
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => identityApi.deleteMapping(tenant, id),
    onSuccess: async () => {
      setRemoving(undefined);
      await client.invalidateQueries({ queryKey: ['group-mappings', tenant] });
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = { providerId: forProvider || null, groupName: groupName.trim(), scopes: words(scopes) };
    const parsed = createGroupMappingRequestSchema.safeParse(body);
    if (!parsed.success) {
      const errors: Record<string, string> = {};
      for (const issue of parsed.error.issues) errors[String(issue.path[0] ?? 'form')] ??= issue.message;
      setClientErrors(errors);
      add.reset();
      return;
    }
    setClientErrors({});
    add.mutate(body);
  };
  const apiErrors = add.error instanceof ApiError ? (add.error.code === 'conflict' ? { groupName: add.error.description } : add.error.fieldErrors()) : {};
  const errors: Record<string, string> = { ...clientErrors, ...Object.fromEntries(Object.entries(apiErrors).map(([key, value]) => [key.split('.')[0]!, value])) };
  const providerOptions = [{ value: '', label: 'Any provider (and SCIM groups)' }, ...(providers.data?.items ?? []).map((provider) => ({ value: provider.id, label: `${provider.displayName} (${provider.slug})` }))];

  return (
    <section aria-labelledby="group-mappings-title" id="group-mappings">
      <Title order={2} size="h3" id="group-mappings-title" mb="xs">
        Group mappings
      </Title>
      <Stack gap="sm">
        <Text size="sm" maw={760}>
          A group grants scopes: a scope that any mapping names is given only to members of a group mapped to it, from their next token on (the groups a provider asserts at sign-in, and SCIM groups).
        </Text>
        <NativeSelect
          label="Show the mappings of"
          maw={420}
          data={[{ value: '', label: 'Every provider' }, ...providerOptions.slice(1)]}
          value={providerId ?? ''}
          onChange={(event) => navigate(withSearch(path, search, { provider: event.currentTarget.value || undefined, mcursor: undefined }))}
        />
        {mappings.isPending ? (
          <TableSkeleton rows={3} label="Loading group mappings" />
        ) : mappings.isError ? (
          <ErrorNotice error={mappings.error} title="Could not list the group mappings" />
        ) : mappings.data.items.length === 0 && !cursor ? (
          <EmptyState title="No group mappings">{writes ? 'Map a group to the scopes it grants with the form below.' : 'An admin of this tenant maps groups to scopes here.'}</EmptyState>
        ) : (
          <>
            <Table striped aria-label="Group mappings">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Group</Table.Th>
                  <Table.Th scope="col">Provider</Table.Th>
                  <Table.Th scope="col">Scopes</Table.Th>
                  <Table.Th scope="col">Actions</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {mappings.data.items.map((mapping) => (
                  <Table.Tr key={mapping.id}>
                    <Table.Td>{mapping.groupName}</Table.Td>
                    <Table.Td>{mapping.provider ?? 'any'}</Table.Td>
                    <Table.Td>
                      <Text ff="monospace" size="sm">
                        {mapping.scopes.join(' ')}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Button variant="default" size="xs" disabled={!writes} onClick={() => setRemoving(mapping)} aria-label={`Remove the mapping of ${mapping.groupName} (${mapping.provider ?? 'any provider'})`}>
                        Remove
                      </Button>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Pager cursor={cursor} nextCursor={mappings.data.nextCursor} onCursor={(next) => navigate(withSearch(path, search, { mcursor: next }))} />
          </>
        )}
        {writes && (
          <form onSubmit={submit} aria-labelledby="add-mapping-title" noValidate>
            <Stack gap="sm" maw={520}>
              <Title order={3} size="h4" id="add-mapping-title">
                Map a group
              </Title>
              <TextInput label="Group" description="As the provider asserts it (or a SCIM group's name), e.g. mcp-finance" required value={groupName} onChange={(event) => setGroupName(event.currentTarget.value)} error={errors['groupName']} autoComplete="off" />
              <TextInput label="Scopes" description="Separated by spaces, e.g. finance:read" required value={scopes} onChange={(event) => setScopes(event.currentTarget.value)} error={errors['scopes']} autoComplete="off" />
              <NativeSelect label="When asserted by" data={providerOptions} value={forProvider} onChange={(event) => setForProvider(event.currentTarget.value)} error={errors['providerId']} />
              {add.error && <ErrorNotice error={add.error} title="The mapping was not added" />}
              {add.isSuccess && (
                <Text size="sm" role="status">
                  Mapped {add.data.groupName} to {add.data.scopes.join(' ')}.
                </Text>
              )}
              <Group>
                <Button type="submit" loading={add.isPending}>
                  Add mapping
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Stack>
      <ConfirmDialog
        open={removing !== undefined}
        title="Remove this group mapping?"
        confirmLabel="Remove mapping"
        busy={remove.isPending}
        error={remove.error ? <ErrorNotice error={remove.error} title="The mapping was not removed" /> : undefined}
        onConfirm={() => removing && remove.mutate(removing.id)}
        onCancel={() => {
          setRemoving(undefined);
          remove.reset();
        }}
      >
        From their next token on, members of {removing?.groupName} no longer get {removing?.scopes.join(' ')} through this mapping. A scope no mapping names any more is no longer limited to groups (consent decides, as for any scope).
      </ConfirmDialog>
    </section>
  );
}
