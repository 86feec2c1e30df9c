import { Checkbox, NativeSelect, PasswordInput, Stack, Textarea, TextInput } from '@mantine/core';
import { ApiError } from '../api.js';
import { certificates, words, type IdentityProvider } from '../identity-api.js';

// The fields of an identity provider, shared by the add form and the edit form: OpenID Connect (issuer,
// client id and secret, preset, scopes, claims) or SAML (IdP entity id, SSO URL, signing certificates,
// attribute names). Errors come from the API's own zod schema (run in the browser first) and from the
// API's refusal, each on the field it names.

export interface ProviderFormState {
  kind: 'oidc' | 'saml';
  slug: string;
  displayName: string;
  preset: string;
  emailDomains: string;
  enabled: boolean;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scopes: string;
  groupsClaim: string;
  hostedDomains: string;
  idpEntityId: string;
  ssoUrl: string;
  certificates: string;
  emailVerified: boolean;
  emailAttribute: string;
  nameAttribute: string;
  groupsAttribute: string;
}

export type ProviderField = keyof ProviderFormState | 'form';

export const emptyProviderForm: ProviderFormState = {
  kind: 'oidc',
  slug: '',
  displayName: '',
  preset: 'generic',
  emailDomains: '',
  enabled: true,
  issuer: '',
  clientId: '',
  clientSecret: '',
  scopes: 'openid email profile',
  groupsClaim: '',
  hostedDomains: '',
  idpEntityId: '',
  ssoUrl: '',
  certificates: '',
  emailVerified: false,
  emailAttribute: 'email',
  nameAttribute: 'displayName',
  groupsAttribute: 'groups',
};

const text = (value: unknown, fallback = '') => (typeof value === 'string' ? value : fallback);
const list = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const record = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {});

/** The form as an existing provider fills it (no secret: it never leaves the API). */
export function formOf(provider: IdentityProvider): ProviderFormState {
  const config = provider.config;
  const claims = record(config['claims']);
  const attributes = record(config['attributes']);
  return {
    ...emptyProviderForm,
    kind: provider.kind,
    slug: provider.slug,
    displayName: provider.displayName,
    preset: provider.preset,
    emailDomains: provider.emailDomains.join('\n'),
    enabled: provider.enabled,
    issuer: text(config['issuer']),
    clientId: text(config['clientId']),
    scopes: list(config['scopes']).join(' '),
    groupsClaim: text(claims['groups']),
    hostedDomains: list(config['hostedDomains']).join('\n'),
    idpEntityId: text(config['idpEntityId']),
    ssoUrl: text(config['ssoUrl']),
    certificates: list(config['signingCertificates']).join('\n'),
    emailVerified: config['emailVerified'] === true,
    emailAttribute: text(attributes['email'], 'email'),
    nameAttribute: text(attributes['displayName'], 'displayName'),
    groupsAttribute: text(attributes['groups'], 'groups'),
  };
}

/** The provider's `config` from the form; what the form does not show (claims beyond groups, SCIM linking, ...) is kept from `previous`. */
export function configOf(form: ProviderFormState, previous: Record<string, unknown> = {}): Record<string, unknown> {
  if (form.kind === 'oidc') {
    const claims = { ...record(previous['claims']) };
    if (form.groupsClaim.trim()) claims['groups'] = form.groupsClaim.trim();
    else delete claims['groups'];
    return {
      ...previous,
      issuer: form.issuer.trim(),
      clientId: form.clientId.trim(),
      scopes: words(form.scopes),
      hostedDomains: words(form.hostedDomains),
      claims,
    };
  }
  return {
    ...previous,
    idpEntityId: form.idpEntityId.trim(),
    ssoUrl: form.ssoUrl.trim(),
    signingCertificates: certificates(form.certificates),
    emailVerified: form.emailVerified,
    attributes: { email: form.emailAttribute.trim(), displayName: form.nameAttribute.trim(), groups: form.groupsAttribute.trim() },
  };
}

const CONFIG_FIELDS: Record<string, ProviderField> = {
  issuer: 'issuer',
  clientId: 'clientId',
  scopes: 'scopes',
  hostedDomains: 'hostedDomains',
  claims: 'groupsClaim',
  idpEntityId: 'idpEntityId',
  ssoUrl: 'ssoUrl',
  signingCertificates: 'certificates',
  emailVerified: 'emailVerified',
};
const ATTRIBUTE_FIELDS: Record<string, ProviderField> = { email: 'emailAttribute', displayName: 'nameAttribute', groups: 'groupsAttribute' };

/** Which form field a path of the request body (and its message) belongs to. */
export function fieldOf(path: string, message: string, kind: ProviderFormState['kind']): ProviderField {
  const [head, second, third] = path.split('.');
  if (head === 'config') {
    if (second === 'attributes' && third) return ATTRIBUTE_FIELDS[third] ?? 'form';
    if (second) return CONFIG_FIELDS[second] ?? 'form';
    // A preset's rule ("entra: issuer must be ...", "google: hostedDomains must ...").
    if (kind === 'oidc') return message.includes('hostedDomains') ? 'hostedDomains' : 'issuer';
    return 'form';
  }
  if (head === 'slug' || head === 'displayName' || head === 'preset' || head === 'emailDomains' || head === 'clientSecret' || head === 'kind') return head;
  return 'form';
}

/** A refusal of the API split by field (`config.issuer: ...`, `config.issuer refused by the upstream address policy: ...`). */
export function apiFieldErrors(error: unknown, kind: ProviderFormState['kind']): Partial<Record<ProviderField, string>> {
  if (!(error instanceof ApiError)) return {};
  if (error.code === 'conflict' && /already exists/.test(error.description)) return { slug: error.description };
  const fields: Partial<Record<ProviderField, string>> = {};
  for (const part of error.description.split('; ')) {
    const named = /^([A-Za-z][\w.]*)(?:: | refused )(.*)$/.exec(part);
    const field = named ? fieldOf(named[1]!, named[2] ?? '', kind) : 'form';
    fields[field] = fields[field] ? `${fields[field]}; ${part}` : part;
  }
  return fields;
}

/** zod issues of the API's own schema, by field. */
export function issueFieldErrors(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>, kind: ProviderFormState['kind']): Partial<Record<ProviderField, string>> {
  const fields: Partial<Record<ProviderField, string>> = {};
  for (const issue of issues) {
    const field = fieldOf(issue.path.map(String).join('.'), issue.message, kind);
    fields[field] ??= issue.message;
  }
  return fields;
}

/**
 * The inputs. `mode`: `create` shows slug, kind and the (required) client secret; `edit` leaves them out
 * (the slug is in the URL, the kind cannot change, the secret is replaced on its own).
 */
export function ProviderFields({
  form,
  set,
  errors,
  mode,
}: {
  form: ProviderFormState;
  set: (changes: Partial<ProviderFormState>) => void;
  errors: Partial<Record<ProviderField, string>>;
  mode: 'create' | 'edit';
}) {
  return (
    <Stack gap="sm">
      {mode === 'create' && (
        <>
          <NativeSelect
            label="Protocol"
            data={[
              { value: 'oidc', label: 'OpenID Connect (Entra ID, Okta, Google, any OpenID provider)' },
              { value: 'saml', label: 'SAML 2.0' },
            ]}
            value={form.kind}
            onChange={(event) => set({ kind: event.currentTarget.value as 'oidc' | 'saml', preset: 'generic' })}
            error={errors.kind}
          />
          <TextInput
            label="Slug"
            description="Lowercase letters, digits and dashes; in the provider's URLs (/t/<tenant>/federation/<slug>/...)"
            required
            value={form.slug}
            onChange={(event) => set({ slug: event.currentTarget.value })}
            error={errors.slug}
            autoComplete="off"
          />
        </>
      )}
      <TextInput label="Display name" description="On the login page's button: “Sign in with <name>”" required value={form.displayName} onChange={(event) => set({ displayName: event.currentTarget.value })} error={errors.displayName} autoComplete="off" />
      <Textarea
        label="Email domains"
        description="Home-realm discovery: a person who types an email of one of these domains goes straight to this provider. One per line."
        autosize
        minRows={1}
        value={form.emailDomains}
        onChange={(event) => set({ emailDomains: event.currentTarget.value })}
        error={errors.emailDomains}
      />
      {form.kind === 'oidc' ? (
        <>
          <NativeSelect
            label="Preset"
            description="The documented behaviour of a well-known provider"
            data={[
              { value: 'generic', label: 'Generic OpenID Connect' },
              { value: 'entra', label: 'Microsoft Entra ID (tenant-specific v2.0 issuer)' },
              { value: 'okta', label: 'Okta (org or custom authorization server)' },
              { value: 'google', label: 'Google Workspace (hosted domains required)' },
            ]}
            value={form.preset}
            onChange={(event) => set({ preset: event.currentTarget.value })}
            error={errors.preset}
          />
          <TextInput label="Issuer" description="The provider's issuer URL; discovery is at <issuer>/.well-known/openid-configuration" required value={form.issuer} onChange={(event) => set({ issuer: event.currentTarget.value })} error={errors.issuer} autoComplete="off" />
          <TextInput label="Client ID" description="The client the provider registered for Airlock" required value={form.clientId} onChange={(event) => set({ clientId: event.currentTarget.value })} error={errors.clientId} autoComplete="off" />
          {mode === 'create' && (
            <PasswordInput label="Client secret" description="Sealed by the API; never shown again" required value={form.clientSecret} onChange={(event) => set({ clientSecret: event.currentTarget.value })} error={errors.clientSecret} autoComplete="new-password" />
          )}
          <TextInput label="Scopes" description="Requested scopes, separated by spaces (openid is always sent)" value={form.scopes} onChange={(event) => set({ scopes: event.currentTarget.value })} error={errors.scopes} autoComplete="off" />
          <TextInput label="Groups claim" description="The ID-token claim that holds the groups; empty: the preset's (groups)" value={form.groupsClaim} onChange={(event) => set({ groupsClaim: event.currentTarget.value })} error={errors.groupsClaim} autoComplete="off" />
          {form.preset === 'google' && (
            <Textarea label="Hosted domains" description="The Google Workspace domains allowed to sign in (hd claim); one per line" autosize minRows={1} value={form.hostedDomains} onChange={(event) => set({ hostedDomains: event.currentTarget.value })} error={errors.hostedDomains} />
          )}
        </>
      ) : (
        <>
          <TextInput label="IdP entity ID" description="The Issuer of the IdP's assertions" required value={form.idpEntityId} onChange={(event) => set({ idpEntityId: event.currentTarget.value })} error={errors.idpEntityId} autoComplete="off" />
          <TextInput label="SSO URL" description="The IdP's SingleSignOnService URL (HTTP-Redirect binding)" required value={form.ssoUrl} onChange={(event) => set({ ssoUrl: event.currentTarget.value })} error={errors.ssoUrl} autoComplete="off" />
          <Textarea
            label="Signing certificates"
            description="The IdP's PEM certificates (-----BEGIN CERTIFICATE----- ...), one after another for a rollover; assertions must be signed by one of them"
            required
            autosize
            minRows={3}
            value={form.certificates}
            onChange={(event) => set({ certificates: event.currentTarget.value })}
            error={errors.certificates}
            ff="monospace"
          />
          <Checkbox label="The IdP verifies the email addresses it sends" checked={form.emailVerified} onChange={(event) => set({ emailVerified: event.currentTarget.checked })} error={errors.emailVerified} />
          <TextInput label="Email attribute" value={form.emailAttribute} onChange={(event) => set({ emailAttribute: event.currentTarget.value })} error={errors.emailAttribute} autoComplete="off" />
          <TextInput label="Display name attribute" value={form.nameAttribute} onChange={(event) => set({ nameAttribute: event.currentTarget.value })} error={errors.nameAttribute} autoComplete="off" />
          <TextInput label="Groups attribute" value={form.groupsAttribute} onChange={(event) => set({ groupsAttribute: event.currentTarget.value })} error={errors.groupsAttribute} autoComplete="off" />
        </>
      )}
      {mode === 'create' && <Checkbox label="Enabled: on the login page, and sign-ins accepted" checked={form.enabled} onChange={(event) => set({ enabled: event.currentTarget.checked })} />}
    </Stack>
  );
}
