import { Alert, Button, Code, Group, NativeSelect, NumberInput, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { adminApi, ApiError, type Me, type Tenant } from '../api.js';
import { ErrorNotice, TableSkeleton } from '../components.js';
import { ConfirmDialog } from '../ConfirmDialog.js';
import { forgetTenant } from '../recent-tenants.js';
import { navigate } from '../router.js';

const POLICIES = [
  { value: 'open', label: 'Open: any client may register (RFC 7591)' },
  { value: 'initial_access_token', label: 'Initial access token required' },
  { value: 'off', label: 'Off: admins register clients' },
];

/**
 * One tenant: its settings, dynamic client registration policy, initial access tokens and signing keys,
 * and (platform admins) its deletion, confirmed by typing the slug. Auditors read only.
 */
export function TenantDetailScreen({ me, tenant }: { me: Me; tenant: string }) {
  const shown = useQuery({ queryKey: ['tenant', tenant], queryFn: () => adminApi.getTenant(tenant) });
  const writes = me.role !== 'auditor';
  return (
    <Stack gap="lg" maw={880}>
      <Title order={1}>Tenant {tenant}</Title>
      {shown.isPending ? (
        <TableSkeleton rows={4} label="Loading the tenant" />
      ) : shown.isError ? (
        <ErrorNotice error={shown.error} title="Could not read the tenant" />
      ) : (
        <>
          <Text size="sm" data-testid="tenant-counts">
            {shown.data.counts ? `${shown.data.counts.users} users · ${shown.data.counts.clients} clients · ${shown.data.counts.servers} MCP servers${shown.data.counts.liveSessions === undefined ? '' : ` · ${shown.data.counts.liveSessions} live sessions`}` : ''}
          </Text>
          <SettingsForm tenant={shown.data} writes={writes} />
          <RegistrationSection tenant={shown.data} writes={writes} />
          <KeysSection tenant={tenant} writes={writes} />
          {me.role === 'platform-admin' && <DeleteSection tenant={tenant} />}
        </>
      )}
    </Stack>
  );
}

function SettingsForm({ tenant, writes }: { tenant: Tenant; writes: boolean }) {
  const client = useQueryClient();
  const [displayName, setDisplayName] = useState(tenant.displayName);
  const [ttl, setTtl] = useState<number | string>(tenant.accessTokenTtl);
  const save = useMutation({
    mutationFn: () => adminApi.updateTenant(tenant.slug, { displayName, accessTokenTtl: typeof ttl === 'number' ? ttl : Number(ttl) }),
    onSuccess: (updated) => client.setQueryData(['tenant', tenant.slug], (old: Tenant | undefined) => ({ ...old, ...updated })),
  });
  const fields = save.error instanceof ApiError ? save.error.fieldErrors() : {};
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  return (
    <section aria-labelledby="tenant-settings">
      <Title order={2} size="h3" id="tenant-settings" mb="xs">
        Settings
      </Title>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm" maw={420}>
          <TextInput label="Display name" value={displayName} onChange={(event) => setDisplayName(event.currentTarget.value)} error={fields['displayName']} readOnly={!writes} required />
          <NumberInput
            label="Access-token lifetime (seconds)"
            description="60 to 86400"
            value={ttl}
            onChange={setTtl}
            error={fields['accessTokenTtl']}
            readOnly={!writes}
            allowDecimal={false}
          />
          {save.isError && Object.keys(fields).length === 0 && <ErrorNotice error={save.error} title="Could not save the settings" />}
          {save.isSuccess && (
            <Text size="sm" role="status">
              Saved.
            </Text>
          )}
          {writes && (
            <Group>
              <Button type="submit" loading={save.isPending}>
                Save settings
              </Button>
            </Group>
          )}
        </Stack>
      </form>
    </section>
  );
}

function RegistrationSection({ tenant, writes }: { tenant: Tenant; writes: boolean }) {
  const client = useQueryClient();
  const [days, setDays] = useState<number | string>(1);
  const policy = useMutation({
    mutationFn: (next: Tenant['registrationPolicy']) => adminApi.setRegistrationPolicy(tenant.slug, next),
    onSuccess: (answer) => client.setQueryData(['tenant', tenant.slug], (old: Tenant | undefined) => (old ? { ...old, registrationPolicy: answer.policy } : old)),
  });
  const token = useMutation({ mutationFn: () => adminApi.createInitialAccessToken(tenant.slug, Math.round(Number(days) * 86_400)) });
  const tokenFields = token.error instanceof ApiError ? token.error.fieldErrors() : {};
  return (
    <section aria-labelledby="tenant-registration">
      <Title order={2} size="h3" id="tenant-registration" mb="xs">
        Client registration
      </Title>
      <Stack gap="sm" maw={520}>
        <NativeSelect
          label="Dynamic client registration"
          data={POLICIES}
          value={tenant.registrationPolicy}
          disabled={!writes || policy.isPending}
          onChange={(event) => policy.mutate(event.currentTarget.value as Tenant['registrationPolicy'])}
        />
        {policy.isError && <ErrorNotice error={policy.error} title="Could not change the policy" />}
        {writes && tenant.registrationPolicy === 'initial_access_token' && (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              token.mutate();
            }}
            noValidate
          >
            <Group align="flex-end" gap="sm">
              <NumberInput label="Token lifetime (days)" description="Up to 30" value={days} onChange={setDays} min={1} max={30} allowDecimal={false} error={tokenFields['expiresIn']} w={200} />
              <Button type="submit" loading={token.isPending}>
                Issue an initial access token
              </Button>
            </Group>
          </form>
        )}
        {token.isError && Object.keys(tokenFields).length === 0 && <ErrorNotice error={token.error} title="Could not issue a token" />}
        {token.data && (
          <Alert color="blue" title="Initial access token (shown once)" role="status">
            <Text size="sm">Hand it to the client developer; it is not shown again. It expires in {Math.round(token.data.expires_in / 86_400)} day(s).</Text>
            <Code block data-testid="initial-access-token">
              {token.data.initial_access_token}
            </Code>
          </Alert>
        )}
      </Stack>
    </section>
  );
}

function KeysSection({ tenant, writes }: { tenant: string; writes: boolean }) {
  const client = useQueryClient();
  const keys = useQuery({ queryKey: ['keys', tenant], queryFn: () => adminApi.listKeys(tenant) });
  const [confirming, setConfirming] = useState(false);
  const rotate = useMutation({
    mutationFn: () => adminApi.rotateKeys(tenant),
    onSuccess: (answer) => {
      client.setQueryData(['keys', tenant], answer);
      setConfirming(false);
    },
  });
  return (
    <section aria-labelledby="tenant-keys">
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h3" id="tenant-keys">
          Signing keys
        </Title>
        {writes && (
          <Button variant="default" onClick={() => setConfirming(true)}>
            Rotate keys
          </Button>
        )}
      </Group>
      {keys.isPending ? (
        <TableSkeleton rows={2} label="Loading signing keys" />
      ) : keys.isError ? (
        <ErrorNotice error={keys.error} title="Could not list the signing keys" />
      ) : (
        <Table striped aria-label="Signing keys">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Key id</Table.Th>
              <Table.Th scope="col">Algorithm</Table.Th>
              <Table.Th scope="col">State</Table.Th>
              <Table.Th scope="col">Published until</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {keys.data.items.map((key) => (
              <Table.Tr key={key.kid}>
                <Table.Td>
                  <Code>{key.kid}</Code>
                </Table.Td>
                <Table.Td>{key.alg}</Table.Td>
                <Table.Td>{key.state}</Table.Td>
                <Table.Td>{key.notAfter ? new Date(key.notAfter).toLocaleString() : '–'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <ConfirmDialog
        open={confirming}
        title="Rotate the signing keys?"
        confirmLabel="Rotate"
        busy={rotate.isPending}
        error={rotate.isError ? <ErrorNotice error={rotate.error} title="Could not rotate" /> : undefined}
        onConfirm={() => rotate.mutate()}
        onCancel={() => setConfirming(false)}
      >
        The next key starts signing and a new next key is published; the current key stays published until the tokens it signed expire.
      </ConfirmDialog>
    </section>
  );
}

function DeleteSection({ tenant }: { tenant: string }) {
  const client = useQueryClient();
  const [typed, setTyped] = useState('');
  const remove = useMutation({
    mutationFn: () => adminApi.deleteTenant(tenant),
    onSuccess: () => {
      forgetTenant(tenant);
      void client.invalidateQueries({ queryKey: ['tenants'] });
      void client.invalidateQueries({ queryKey: ['tenant-switcher'] });
      navigate('/tenants');
    },
  });
  return (
    <section aria-labelledby="tenant-delete">
      <Title order={2} size="h3" id="tenant-delete" mb="xs">
        Delete this tenant
      </Title>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (typed === tenant) remove.mutate();
        }}
        noValidate
      >
        <Stack gap="sm" maw={420}>
          <Text size="sm">Revokes every grant and session it issued, then removes its users, clients, MCP servers and audit log. This cannot be undone.</Text>
          <TextInput label={`Type ${tenant} to confirm`} value={typed} onChange={(event) => setTyped(event.currentTarget.value)} autoComplete="off" />
          {remove.isError && <ErrorNotice error={remove.error} title="Could not delete the tenant" />}
          <Group>
            <Button type="submit" color="red" disabled={typed !== tenant} loading={remove.isPending}>
              Delete tenant
            </Button>
          </Group>
        </Stack>
      </form>
    </section>
  );
}
