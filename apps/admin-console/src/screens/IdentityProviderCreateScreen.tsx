import { Button, Code, Group, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { createIdentityProviderRequestSchema } from '@airlock/contracts';
import type { Me } from '../api.js';
import { ErrorNotice } from '../components.js';
import { identityApi, words } from '../identity-api.js';
import { navigate } from '../router.js';
import { apiFieldErrors, configOf, emptyProviderForm, issueFieldErrors, ProviderFields, type ProviderField, type ProviderFormState } from './IdentityProviderForm.js';

/** Add an OpenID Connect or SAML identity provider; on success, its page (with the URLs to register at the provider). */
export function IdentityProviderCreateScreen({ me, tenant }: { me: Me; tenant: string }) {
  const queryClient = useQueryClient();
  const [form, setForm] = useState<ProviderFormState>(emptyProviderForm);
  const [clientErrors, setClientErrors] = useState<Partial<Record<ProviderField, string>>>({});
  const create = useMutation({
    mutationFn: (body: unknown) => identityApi.createProvider(tenant, body),
    onSuccess: async (provider) => {
      await queryClient.invalidateQueries({ queryKey: ['identity-providers', tenant] });
      navigate(`/tenants/${tenant}/identity-providers/${provider.slug}`);
    },
  });

  const set = (changes: Partial<ProviderFormState>) => {
    setForm((old) => ({ ...old, ...changes }));
    if (changes.kind) {
      setClientErrors({});
      create.reset();
    }
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const body = {
      slug: form.slug.trim(),
      kind: form.kind,
      displayName: form.displayName.trim(),
      ...(form.kind === 'oidc' ? { preset: form.preset, clientSecret: form.clientSecret } : {}),
      emailDomains: words(form.emailDomains),
      enabled: form.enabled,
      config: configOf(form),
    };
    // The API's own schema first (the same zod contract), so most mistakes show before a round trip.
    const parsed = createIdentityProviderRequestSchema.safeParse(body);
    if (!parsed.success) {
      setClientErrors(issueFieldErrors(parsed.error.issues, form.kind));
      create.reset();
      return;
    }
    setClientErrors({});
    create.mutate(body);
  };

  if (me.role === 'auditor') {
    return (
      <Stack>
        <Title order={1}>Add an identity provider</Title>
        <Text>Auditors have read-only access: ask an admin of this tenant to add the identity provider.</Text>
      </Stack>
    );
  }

  const errors = { ...clientErrors, ...apiFieldErrors(create.error, form.kind) };
  return (
    <form onSubmit={submit} aria-labelledby="add-idp-title" noValidate>
      <Stack gap="sm" maw={640}>
        <Title order={1} id="add-idp-title">
          Add an identity provider to <Code fz="inherit">{tenant}</Code>
        </Title>
        <Text size="sm">People of this tenant then sign in through their organization’s provider. After adding it, register the redirect (or ACS) URL shown on its page at the provider.</Text>
        <ProviderFields form={form} set={set} errors={errors} mode="create" />
        {errors.form && !create.error && <ErrorNotice error={new Error(errors.form)} title="The identity provider was not added" />}
        {create.error && <ErrorNotice error={create.error} title="The identity provider was not added" />}
        <Group>
          <Button type="submit" loading={create.isPending}>
            Add identity provider
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
