import { Button, Checkbox, Code, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { createTrustedIssuerRequestSchema, putPreApprovalRequestSchema } from '@airlock/contracts';
import { ApiError, type Me } from '../api.js';
import { EmptyState, ErrorNotice, TableSkeleton } from '../components.js';
import { ConfirmDialog } from '../ConfirmDialog.js';
import { identityApi, words, type PreApproval, type TrustedIssuer } from '../identity-api.js';

/** zod issues (or the API's "field: message" parts) by their first path segment. */
function byField(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of issues) fields[String(issue.path[0] ?? 'form')] ??= issue.message;
  return fields;
}
const apiFields = (error: unknown) => (error instanceof ApiError ? Object.fromEntries(Object.entries(error.fieldErrors()).map(([key, value]) => [key.split('.')[0]!, value])) : {});

/**
 * Enterprise-Managed Authorization (ID-JAG) of a tenant: the IdPs whose ID-JAGs it redeems (trusted
 * issuers: add, enable/disable, remove) and the clients pre-approved for it (no consent screen for their
 * scopes: set, remove). Auditors read only.
 */
export function IdJagScreen({ me, tenant }: { me: Me; tenant: string }) {
  const writes = me.role !== 'auditor';
  return (
    <Stack gap="lg" maw={1040}>
      <Title order={1}>
        ID-JAG and pre-approvals of <Code fz="inherit">{tenant}</Code>
      </Title>
      <Text size="sm" maw={760}>
        An enterprise IdP that this tenant trusts issues identity assertions (ID-JAGs) that its clients redeem here for access tokens, without a sign-in or consent page; a pre-approved client’s users see no consent screen for its scopes.
      </Text>
      <TrustedIssuersSection tenant={tenant} writes={writes} />
      <PreApprovalsSection tenant={tenant} writes={writes} />
    </Stack>
  );
}

function TrustedIssuersSection({ tenant, writes }: { tenant: string; writes: boolean }) {
  const client = useQueryClient();
  const issuers = useQuery({ queryKey: ['trusted-issuers', tenant], queryFn: () => identityApi.listTrustedIssuers(tenant) });
  const [issuer, setIssuer] = useState('');
  const [jwksUri, setJwksUri] = useState('');
  const [clients, setClients] = useState('');
  const [provision, setProvision] = useState(false);
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [removing, setRemoving] = useState<TrustedIssuer | undefined>();
  const refresh = () => client.invalidateQueries({ queryKey: ['trusted-issuers', tenant] });
  const add = useMutation({
    mutationFn: (body: unknown) => identityApi.createTrustedIssuer(tenant, body),
    onSuccess: async () => {
      setIssuer('');
      setJwksUri('');
      setClients('');
      await refresh();
    },
  });
  const toggle = useMutation({ mutationFn: (row: TrustedIssuer) => identityApi.updateTrustedIssuer(tenant, row.id, { enabled: !row.enabled }), onSuccess: refresh });
  const remove = useMutation({
    mutationFn: (id: string) => identityApi.deleteTrustedIssuer(tenant, id),
    onSuccess: async () => {
      setRemoving(undefined);
      await refresh();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = { issuer: issuer.trim(), jwksUri: jwksUri.trim(), allowedClientIds: words(clients), provisionUsers: provision };
    const parsed = createTrustedIssuerRequestSchema.safeParse(body);
    if (!parsed.success) {
      setClientErrors(byField(parsed.error.issues));
      add.reset();
      return;
    }
    setClientErrors({});
    add.mutate(body);
  };
  const errors: Record<string, string> = { ...clientErrors, ...(add.error instanceof ApiError && add.error.code === 'conflict' ? { issuer: add.error.description } : apiFields(add.error)) };

  return (
    <section aria-labelledby="trusted-issuers-title">
      <Title order={2} size="h3" id="trusted-issuers-title" mb="xs">
        Trusted issuers
      </Title>
      <Stack gap="sm">
        {issuers.isPending ? (
          <TableSkeleton rows={2} label="Loading trusted issuers" />
        ) : issuers.isError ? (
          <ErrorNotice error={issuers.error} title="Could not list the trusted issuers" />
        ) : issuers.data.items.length === 0 ? (
          <EmptyState title="No trusted issuers">{writes ? 'Trust the enterprise IdP with the form below (its issuer and JWKS URL).' : 'An admin of this tenant adds the IdPs it trusts here.'}</EmptyState>
        ) : (
          <Table striped aria-label="Trusted issuers">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Issuer</Table.Th>
                <Table.Th scope="col">Keys</Table.Th>
                <Table.Th scope="col">Clients</Table.Th>
                <Table.Th scope="col">Provisions users</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {issuers.data.items.map((row) => (
                <Table.Tr key={row.id}>
                  <Table.Td>
                    <Text ff="monospace" size="sm" style={{ wordBreak: 'break-all' }}>
                      {row.issuer}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm" style={{ wordBreak: 'break-all' }}>
                      {row.jwksUri ?? 'inline JWKS'}
                    </Text>
                  </Table.Td>
                  <Table.Td>{row.allowedClientIds.join(', ') || 'any'}</Table.Td>
                  <Table.Td>{row.provisionUsers ? 'yes' : 'no'}</Table.Td>
                  <Table.Td>{row.enabled ? 'enabled' : 'disabled'}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Button variant="default" size="xs" disabled={!writes} onClick={() => toggle.mutate(row)} aria-label={`${row.enabled ? 'Disable' : 'Enable'} ${row.issuer}`}>
                        {row.enabled ? 'Disable' : 'Enable'}
                      </Button>
                      <Button variant="default" size="xs" disabled={!writes} onClick={() => setRemoving(row)} aria-label={`Remove ${row.issuer}`}>
                        Remove
                      </Button>
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {toggle.isError && <ErrorNotice error={toggle.error} title="The issuer was not changed" />}
        {writes && (
          <form onSubmit={submit} aria-labelledby="add-issuer-title" noValidate>
            <Stack gap="sm" maw={560}>
              <Title order={3} size="h4" id="add-issuer-title">
                Trust an IdP
              </Title>
              <TextInput label="Issuer" description="The IdP's issuer URL (the ID-JAG's iss)" required value={issuer} onChange={(event) => setIssuer(event.currentTarget.value)} error={errors['issuer']} autoComplete="off" />
              <TextInput label="JWKS URL" description="Where the IdP publishes its signing keys" required value={jwksUri} onChange={(event) => setJwksUri(event.currentTarget.value)} error={errors['jwksUri']} autoComplete="off" />
              <TextInput label="Allowed clients" description="Client ids that may redeem its ID-JAGs, separated by spaces; empty: any client of the tenant" value={clients} onChange={(event) => setClients(event.currentTarget.value)} error={errors['allowedClientIds']} autoComplete="off" />
              <Checkbox label="Provision users on first use" description="An assertion for a subject no user is linked to creates the user (through the tenant's OpenID provider of the same issuer)" checked={provision} onChange={(event) => setProvision(event.currentTarget.checked)} />
              {add.error && <ErrorNotice error={add.error} title="The issuer was not added" />}
              {errors['form'] && !add.error && <ErrorNotice error={new Error(errors['form'])} title="The issuer was not added" />}
              <Group>
                <Button type="submit" loading={add.isPending}>
                  Trust issuer
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Stack>
      <ConfirmDialog
        open={removing !== undefined}
        title="Stop trusting this IdP?"
        confirmLabel="Stop trusting"
        busy={remove.isPending}
        error={remove.error ? <ErrorNotice error={remove.error} title="The issuer was not removed" /> : undefined}
        onConfirm={() => removing && remove.mutate(removing.id)}
        onCancel={() => {
          setRemoving(undefined);
          remove.reset();
        }}
      >
        ID-JAGs from {removing?.issuer} are refused from now on; tokens already issued stay valid until they expire.
      </ConfirmDialog>
    </section>
  );
}

function PreApprovalsSection({ tenant, writes }: { tenant: string; writes: boolean }) {
  const client = useQueryClient();
  const approvals = useQuery({ queryKey: ['pre-approvals', tenant], queryFn: () => identityApi.listPreApprovals(tenant) });
  const [clientId, setClientId] = useState('');
  const [scopes, setScopes] = useState('');
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  const [removing, setRemoving] = useState<PreApproval | undefined>();
  const refresh = () => client.invalidateQueries({ queryKey: ['pre-approvals', tenant] });
  const put = useMutation({
    mutationFn: (request: { clientId: string; scopes: string[] }) => identityApi.putPreApproval(tenant, request.clientId, request.scopes),
    onSuccess: async () => {
      setClientId('');
      setScopes('');
      await refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => identityApi.deletePreApproval(tenant, id),
    onSuccess: async () => {
      setRemoving(undefined);
      await refresh();
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const request = { clientId: clientId.trim(), scopes: words(scopes) };
    const parsed = putPreApprovalRequestSchema.safeParse({ scopes: request.scopes });
    const errors = parsed.success ? {} : byField(parsed.error.issues);
    if (!request.clientId) errors['clientId'] = 'the client id is required';
    if (Object.keys(errors).length > 0) {
      setClientErrors(errors);
      put.reset();
      return;
    }
    setClientErrors({});
    put.mutate(request);
  };
  const errors: Record<string, string> = { ...clientErrors, ...(put.error instanceof ApiError && put.error.code === 'not_found' ? { clientId: put.error.description } : apiFields(put.error)) };

  return (
    <section aria-labelledby="pre-approvals-title">
      <Title order={2} size="h3" id="pre-approvals-title" mb="xs">
        Pre-approved clients
      </Title>
      <Stack gap="sm">
        {approvals.isPending ? (
          <TableSkeleton rows={2} label="Loading pre-approvals" />
        ) : approvals.isError ? (
          <ErrorNotice error={approvals.error} title="Could not list the pre-approvals" />
        ) : approvals.data.items.length === 0 ? (
          <EmptyState title="No pre-approved clients">{writes ? 'Pre-approve a client with the form below: its users then see no consent screen for those scopes.' : 'An admin of this tenant pre-approves clients here.'}</EmptyState>
        ) : (
          <Table striped aria-label="Pre-approved clients">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Client</Table.Th>
                <Table.Th scope="col">Scopes</Table.Th>
                <Table.Th scope="col">By</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {approvals.data.items.map((row) => (
                <Table.Tr key={row.clientId}>
                  <Table.Td>
                    <Text ff="monospace" size="sm" style={{ wordBreak: 'break-all' }}>
                      {row.clientId}
                    </Text>
                  </Table.Td>
                  <Table.Td>
                    <Text ff="monospace" size="sm">
                      {row.scopes.join(' ')}
                    </Text>
                  </Table.Td>
                  <Table.Td>{row.createdBy}</Table.Td>
                  <Table.Td>
                    <Button variant="default" size="xs" disabled={!writes} onClick={() => setRemoving(row)} aria-label={`Withdraw the pre-approval of ${row.clientId}`}>
                      Withdraw
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {writes && (
          <form onSubmit={submit} aria-labelledby="add-approval-title" noValidate>
            <Stack gap="sm" maw={560}>
              <Title order={3} size="h4" id="add-approval-title">
                Pre-approve a client
              </Title>
              <TextInput label="Client ID" required value={clientId} onChange={(event) => setClientId(event.currentTarget.value)} error={errors['clientId']} autoComplete="off" />
              <TextInput label="Scopes" description="Separated by spaces; a request for more still shows the consent screen" required value={scopes} onChange={(event) => setScopes(event.currentTarget.value)} error={errors['scopes']} autoComplete="off" />
              {put.error && <ErrorNotice error={put.error} title="The client was not pre-approved" />}
              <Group>
                <Button type="submit" loading={put.isPending}>
                  Pre-approve
                </Button>
              </Group>
            </Stack>
          </form>
        )}
      </Stack>
      <ConfirmDialog
        open={removing !== undefined}
        title="Withdraw this pre-approval?"
        confirmLabel="Withdraw"
        busy={remove.isPending}
        error={remove.error ? <ErrorNotice error={remove.error} title="The pre-approval was not withdrawn" /> : undefined}
        onConfirm={() => removing && remove.mutate(removing.clientId)}
        onCancel={() => {
          setRemoving(undefined);
          remove.reset();
        }}
      >
        Users of {removing?.clientId} are asked for consent again; grants already given stay.
      </ConfirmDialog>
    </section>
  );
}
