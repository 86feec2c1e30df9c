import { Anchor, Button, Checkbox, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { Me } from '../api.js';
import { EmptyState, ErrorNotice, Pager, TableSkeleton } from '../components.js';
import { identityApi } from '../identity-api.js';
import { navigate, withSearch } from '../router.js';
import { GroupMappingsSection } from './GroupMappingsSection.js';
import { linkTo } from './TenantsScreen.js';

const PAGE_SIZE = 25;

/**
 * A tenant's enterprise sign-in: its identity providers (paged), whether local passwords are allowed, and
 * the group mappings (groups that grant scopes). Auditors read only.
 */
export function IdentityProvidersScreen({ me, tenant, search }: { me: Me; tenant: string; search: URLSearchParams }) {
  const cursor = search.get('cursor') ?? undefined;
  const path = `/tenants/${tenant}/identity-providers`;
  const providers = useQuery({
    queryKey: ['identity-providers', tenant, cursor],
    queryFn: () => identityApi.listProviders(tenant, { cursor, limit: PAGE_SIZE }),
    placeholderData: keepPreviousData,
  });
  const writes = me.role !== 'auditor';

  return (
    <Stack gap="lg">
      <Group justify="space-between">
        <Title order={1}>
          Identity providers of <Code fz="inherit">{tenant}</Code>
        </Title>
        {writes && (
          <Button component="a" href={`/console/tenants/${tenant}/new-identity-provider`} onClick={linkTo(`/tenants/${tenant}/new-identity-provider`)}>
            Add an identity provider
          </Button>
        )}
      </Group>
      {providers.isPending ? (
        <TableSkeleton label="Loading identity providers" />
      ) : providers.isError ? (
        <ErrorNotice error={providers.error} title="Could not list the identity providers" />
      ) : providers.data.items.length === 0 && !cursor ? (
        <EmptyState title="No identity providers yet">
          {writes
            ? 'Add the organization’s OpenID Connect or SAML provider with “Add an identity provider”; its people then sign in there instead of with a password here.'
            : 'An admin of this tenant adds identity providers here; its people then sign in through them.'}
        </EmptyState>
      ) : (
        <>
          <Table striped highlightOnHover aria-label="Identity providers">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Slug</Table.Th>
                <Table.Th scope="col">Protocol</Table.Th>
                <Table.Th scope="col">Email domains</Table.Th>
                <Table.Th scope="col">Linked users</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {providers.data.items.map((provider) => (
                <Table.Tr key={provider.id}>
                  <Table.Td>
                    <Anchor href={`/console${path}/${provider.slug}`} onClick={linkTo(`${path}/${provider.slug}`)} size="sm">
                      {provider.displayName}
                    </Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {provider.slug}
                    </Text>
                  </Table.Td>
                  <Table.Td>{provider.kind === 'oidc' ? `OpenID Connect (${provider.preset})` : 'SAML 2.0'}</Table.Td>
                  <Table.Td>{provider.emailDomains.join(', ') || '—'}</Table.Td>
                  <Table.Td>{provider.linkedUsers}</Table.Td>
                  <Table.Td>
                    <Text size="sm" fw={provider.enabled ? 400 : 600}>
                      {provider.enabled ? 'enabled' : 'disabled'}
                    </Text>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Pager cursor={cursor} nextCursor={providers.data.nextCursor} onCursor={(next) => navigate(withSearch(path, search, { cursor: next }))} />
        </>
      )}
      <LocalPasswordsSection tenant={tenant} writes={writes} />
      <GroupMappingsSection tenant={tenant} writes={writes} search={search} path={path} />
    </Stack>
  );
}

/** The tenant's switch: local passwords allowed, or sign-in through the identity providers only. */
function LocalPasswordsSection({ tenant, writes }: { tenant: string; writes: boolean }) {
  const client = useQueryClient();
  const state = useQuery({ queryKey: ['local-passwords', tenant], queryFn: () => identityApi.localPasswords(tenant) });
  // What the admin just chose, shown at once (the API's answer replaces it, a refusal reverts it).
  const [chosen, setChosen] = useState<boolean | undefined>();
  const save = useMutation({
    mutationFn: (enabled: boolean) => identityApi.setLocalPasswords(tenant, enabled),
    onSuccess: (tenantRecord) => client.setQueryData(['local-passwords', tenant], { localPasswordsEnabled: tenantRecord.localPasswordsEnabled }),
    onSettled: () => setChosen(undefined),
  });
  return (
    <section aria-labelledby="local-passwords-title">
      <Title order={2} size="h3" id="local-passwords-title" mb="xs">
        Local passwords
      </Title>
      {state.isPending ? (
        <TableSkeleton rows={1} label="Loading the password setting" />
      ) : state.isError ? (
        <ErrorNotice error={state.error} title="Could not read the password setting" />
      ) : (
        <Stack gap="xs" maw={640}>
          <Checkbox
            label="Allow local passwords"
            description="Off: the login page asks only for the email and sends the person to the identity provider of its domain (needs an enabled provider)."
            checked={chosen ?? state.data.localPasswordsEnabled}
            disabled={!writes || save.isPending}
            onChange={(event) => {
              setChosen(event.currentTarget.checked);
              save.mutate(event.currentTarget.checked);
            }}
          />
          {save.isError && <ErrorNotice error={save.error} title="The setting was not changed" />}
          {save.isSuccess && (
            <Text size="sm" role="status">
              Saved: local passwords are {save.data.localPasswordsEnabled ? 'allowed' : 'off'}.
            </Text>
          )}
        </Stack>
      )}
    </section>
  );
}
