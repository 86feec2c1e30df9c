import { Alert, Anchor, Button, Code, Group, PasswordInput, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { parseIdentityProviderConfig, updateIdentityProviderRequestSchema } from '@airlock/contracts';
import type { Me } from '../api.js';
import { ErrorNotice, TableSkeleton } from '../components.js';
import { ConfirmDialog } from '../ConfirmDialog.js';
import { identityApi, words, type IdentityProvider } from '../identity-api.js';
import { navigate } from '../router.js';
import { apiFieldErrors, configOf, formOf, issueFieldErrors, ProviderFields, type ProviderField, type ProviderFormState } from './IdentityProviderForm.js';
import { linkTo } from './TenantsScreen.js';

/**
 * One identity provider: the URLs to register at it, its settings (edit), its client secret (replace,
 * never shown), enable or disable, delete (confirmed), and a link to its group mappings.
 */
export function IdentityProviderDetailScreen({ me, tenant, slug }: { me: Me; tenant: string; slug: string }) {
  const shown = useQuery({ queryKey: ['identity-provider', tenant, slug], queryFn: () => identityApi.getProvider(tenant, slug) });
  const writes = me.role !== 'auditor';
  return (
    <Stack gap="lg" maw={880}>
      <Anchor href={`/console/tenants/${tenant}/identity-providers`} onClick={linkTo(`/tenants/${tenant}/identity-providers`)} size="sm">
        ← Identity providers of {tenant}
      </Anchor>
      {shown.isPending ? (
        <TableSkeleton rows={4} label="Loading the identity provider" />
      ) : shown.isError ? (
        <>
          <Title order={1}>Identity provider {slug}</Title>
          <ErrorNotice error={shown.error} title="Could not read the identity provider" />
        </>
      ) : (
        <ProviderPage tenant={tenant} provider={shown.data} writes={writes} />
      )}
    </Stack>
  );
}

function ProviderPage({ tenant, provider, writes }: { tenant: string; provider: IdentityProvider; writes: boolean }) {
  const client = useQueryClient();
  const refresh = (updated: IdentityProvider) => {
    client.setQueryData(['identity-provider', tenant, provider.slug], updated);
    void client.invalidateQueries({ queryKey: ['identity-providers', tenant] });
  };
  const toggle = useMutation({ mutationFn: () => identityApi.updateProvider(tenant, provider.slug, { enabled: !provider.enabled }), onSuccess: refresh });
  return (
    <>
      <Group justify="space-between" align="flex-start">
        <Stack gap={2}>
          <Title order={1}>{provider.displayName}</Title>
          <Text size="sm">
            {provider.kind === 'oidc' ? `OpenID Connect, preset ${provider.preset}` : 'SAML 2.0'} · <Code>{provider.slug}</Code> · {provider.linkedUsers} linked user{provider.linkedUsers === 1 ? '' : 's'} ·{' '}
            <Text span fw={600} data-testid="provider-status">
              {provider.enabled ? 'enabled' : 'disabled'}
            </Text>
          </Text>
        </Stack>
        {writes && (
          <Button variant={provider.enabled ? 'default' : 'filled'} onClick={() => toggle.mutate()} loading={toggle.isPending}>
            {provider.enabled ? 'Disable' : 'Enable'}
          </Button>
        )}
      </Group>
      {toggle.isError && <ErrorNotice error={toggle.error} title="The provider was not changed" />}
      <section aria-labelledby="register-title">
        <Title order={2} size="h3" id="register-title" mb="xs">
          Register at the provider
        </Title>
        <dl className="audit-detail">
          <dt>{provider.kind === 'oidc' ? 'Redirect URI' : 'Assertion Consumer Service (HTTP-POST)'}</dt>
          <dd>
            <Code data-testid="callback-url">{provider.callbackUrl}</Code>
          </dd>
          {provider.metadataUrl && (
            <>
              <dt>SP entity ID and metadata</dt>
              <dd>
                <Code>{provider.metadataUrl}</Code>
              </dd>
            </>
          )}
          {provider.kind === 'oidc' && (
            <>
              <dt>Client secret</dt>
              <dd>{provider.hasClientSecret ? 'set (sealed; never shown)' : 'not set'}</dd>
            </>
          )}
        </dl>
      </section>
      <EditForm tenant={tenant} provider={provider} writes={writes} onSaved={refresh} />
      {provider.kind === 'oidc' && writes && <SecretForm tenant={tenant} provider={provider} onSaved={refresh} />}
      <Text size="sm">
        <Anchor href={`/console/tenants/${tenant}/identity-providers?provider=${provider.id}#group-mappings`} onClick={linkTo(`/tenants/${tenant}/identity-providers?provider=${provider.id}`)}>
          Group mappings of this provider
        </Anchor>
      </Text>
      {writes && <DeleteSection tenant={tenant} provider={provider} />}
    </>
  );
}

function EditForm({ tenant, provider, writes, onSaved }: { tenant: string; provider: IdentityProvider; writes: boolean; onSaved: (updated: IdentityProvider) => void }) {
  const [form, setForm] = useState<ProviderFormState>(() => formOf(provider));
  const [clientErrors, setClientErrors] = useState<Partial<Record<ProviderField, string>>>({});
  const save = useMutation({ mutationFn: (body: unknown) => identityApi.updateProvider(tenant, provider.slug, body), onSuccess: onSaved });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = { displayName: form.displayName.trim(), emailDomains: words(form.emailDomains), ...(provider.kind === 'oidc' ? { preset: form.preset } : {}), config: configOf(form, provider.config) };
    const parsed = updateIdentityProviderRequestSchema.safeParse(body);
    const config = parseIdentityProviderConfig(provider.kind, body.config);
    if (!parsed.success || !config.success) {
      setClientErrors(issueFieldErrors([...(parsed.success ? [] : parsed.error.issues), ...(config.success ? [] : config.issues)], provider.kind));
      save.reset();
      return;
    }
    setClientErrors({});
    save.mutate(body);
  };
  const errors = { ...clientErrors, ...apiFieldErrors(save.error, provider.kind) };
  return (
    <section aria-labelledby="provider-settings-title">
      <Title order={2} size="h3" id="provider-settings-title" mb="xs">
        Settings
      </Title>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm" maw={640}>
          <fieldset disabled={!writes} style={{ border: 0, padding: 0, margin: 0 }}>
            <ProviderFields form={form} set={(changes) => setForm((old) => ({ ...old, ...changes }))} errors={errors} mode="edit" />
          </fieldset>
          {errors.form && !save.error && <ErrorNotice error={new Error(errors.form)} title="The settings were not saved" />}
          {save.error && <ErrorNotice error={save.error} title="The settings were not saved" />}
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

function SecretForm({ tenant, provider, onSaved }: { tenant: string; provider: IdentityProvider; onSaved: (updated: IdentityProvider) => void }) {
  const [secret, setSecret] = useState('');
  const save = useMutation({
    mutationFn: () => identityApi.updateProvider(tenant, provider.slug, { clientSecret: secret }),
    onSuccess: (updated) => {
      setSecret('');
      onSaved(updated);
    },
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };
  const fieldError = apiFieldErrors(save.error, 'oidc').clientSecret;
  return (
    <section aria-labelledby="secret-title">
      <Title order={2} size="h3" id="secret-title" mb="xs">
        Client secret
      </Title>
      <form onSubmit={submit} noValidate>
        <Stack gap="sm" maw={420}>
          <PasswordInput label="New client secret" description="Replaces the sealed secret; the old one stops working here at once" value={secret} onChange={(event) => setSecret(event.currentTarget.value)} error={fieldError} autoComplete="new-password" />
          {save.error && <ErrorNotice error={save.error} title="The secret was not replaced" />}
          {save.isSuccess && (
            <Alert color="green" role="status" title="Secret replaced">
              The new secret is sealed; it is not shown again.
            </Alert>
          )}
          <Group>
            <Button type="submit" variant="default" disabled={secret === ''} loading={save.isPending}>
              Replace secret
            </Button>
          </Group>
        </Stack>
      </form>
    </section>
  );
}

function DeleteSection({ tenant, provider }: { tenant: string; provider: IdentityProvider }) {
  const client = useQueryClient();
  const [open, setOpen] = useState(false);
  const remove = useMutation({
    mutationFn: () => identityApi.deleteProvider(tenant, provider.slug),
    onSuccess: async () => {
      setOpen(false);
      await client.invalidateQueries({ queryKey: ['identity-providers', tenant] });
      navigate(`/tenants/${tenant}/identity-providers`);
    },
  });
  return (
    <section aria-labelledby="delete-provider-title">
      <Title order={2} size="h3" id="delete-provider-title" mb="xs">
        Delete this provider
      </Title>
      <Text size="sm" mb="xs" maw={640}>
        Removes it with its group mappings and its users’ links; the users stay, without this way to sign in. To stop sign-ins reversibly, disable it instead.
      </Text>
      <Button color="red" variant="light" onClick={() => setOpen(true)}>
        Delete provider
      </Button>
      <ConfirmDialog
        open={open}
        title={`Delete ${provider.displayName}?`}
        confirmLabel="Delete provider"
        busy={remove.isPending}
        error={remove.error ? <ErrorNotice error={remove.error} title="The provider was not deleted" /> : undefined}
        onConfirm={() => remove.mutate()}
        onCancel={() => {
          setOpen(false);
          remove.reset();
        }}
      >
        {provider.linkedUsers} linked user{provider.linkedUsers === 1 ? '' : 's'} lose{provider.linkedUsers === 1 ? 's' : ''} this way to sign in; its group mappings are removed.
      </ConfirmDialog>
    </section>
  );
}
