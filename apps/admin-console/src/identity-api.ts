import { api, type Page } from './api.js';

// The admin API's enterprise sign-in routes as the console calls them: a tenant's identity providers
// (OpenID Connect, SAML), its group mappings, its local-passwords switch and its SCIM tokens.

export interface IdentityProvider {
  id: string;
  slug: string;
  kind: 'oidc' | 'saml';
  displayName: string;
  preset: string;
  emailDomains: string[];
  enabled: boolean;
  config: Record<string, unknown>;
  /** Whether a client secret is set (the secret itself never leaves the API). */
  hasClientSecret: boolean;
  /** OIDC: the redirect URI; SAML: the ACS URL. Register it at the provider. */
  callbackUrl: string;
  /** SAML: the SP metadata URL, also the SP entity id. */
  metadataUrl: string | null;
  linkedUsers: number;
  createdAt: string;
  updatedAt: string;
}

export interface GroupMapping {
  id: string;
  providerId: string | null;
  provider: string | null;
  groupName: string;
  scopes: string[];
  createdAt: string;
}

export interface ScimToken {
  id: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export interface TrustedIssuer {
  id: string;
  issuer: string;
  jwksUri: string | null;
  jwks: { keys: unknown[] } | null;
  allowedClientIds: string[];
  enabled: boolean;
  provisionUsers: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface PreApproval {
  id: string;
  clientId: string;
  scopes: string[];
  createdBy: string;
  createdAt: string;
}

const enc = encodeURIComponent;
const base = (tenant: string) => `/tenants/${enc(tenant)}`;

export const identityApi = {
  listProviders: (tenant: string, query: { cursor?: string; limit?: number }) => api<Page<IdentityProvider>>('GET', `${base(tenant)}/identity-providers`, { query }),
  getProvider: (tenant: string, slug: string) => api<IdentityProvider>('GET', `${base(tenant)}/identity-providers/${enc(slug)}`),
  createProvider: (tenant: string, body: unknown) => api<IdentityProvider>('POST', `${base(tenant)}/identity-providers`, { body }),
  updateProvider: (tenant: string, slug: string, body: unknown) => api<IdentityProvider>('PATCH', `${base(tenant)}/identity-providers/${enc(slug)}`, { body }),
  deleteProvider: (tenant: string, slug: string) => api<void>('DELETE', `${base(tenant)}/identity-providers/${enc(slug)}`),
  listMappings: (tenant: string, query: { providerId?: string; q?: string; cursor?: string; limit?: number }) => api<Page<GroupMapping>>('GET', `${base(tenant)}/group-mappings`, { query }),
  createMapping: (tenant: string, body: { providerId: string | null; groupName: string; scopes: string[] }) => api<GroupMapping>('POST', `${base(tenant)}/group-mappings`, { body }),
  deleteMapping: (tenant: string, id: string) => api<void>('DELETE', `${base(tenant)}/group-mappings/${enc(id)}`),
  localPasswords: (tenant: string) => api<{ localPasswordsEnabled: boolean }>('GET', base(tenant)),
  setLocalPasswords: (tenant: string, enabled: boolean) => api<{ localPasswordsEnabled: boolean }>('PATCH', base(tenant), { body: { localPasswordsEnabled: enabled } }),
  listScimTokens: (tenant: string) => api<{ items: ScimToken[] }>('GET', `${base(tenant)}/scim-tokens`),
  createScimToken: (tenant: string) => api<ScimToken & { token: string; baseUrl: string }>('POST', `${base(tenant)}/scim-tokens`, { body: {} }),
  revokeScimToken: (tenant: string, id: string) => api<void>('DELETE', `${base(tenant)}/scim-tokens/${enc(id)}`),
  listTrustedIssuers: (tenant: string) => api<{ items: TrustedIssuer[] }>('GET', `${base(tenant)}/trusted-issuers`),
  createTrustedIssuer: (tenant: string, body: unknown) => api<TrustedIssuer>('POST', `${base(tenant)}/trusted-issuers`, { body }),
  updateTrustedIssuer: (tenant: string, id: string, body: unknown) => api<TrustedIssuer>('PATCH', `${base(tenant)}/trusted-issuers/${enc(id)}`, { body }),
  deleteTrustedIssuer: (tenant: string, id: string) => api<void>('DELETE', `${base(tenant)}/trusted-issuers/${enc(id)}`),
  listPreApprovals: (tenant: string) => api<{ items: PreApproval[] }>('GET', `${base(tenant)}/pre-approvals`),
  putPreApproval: (tenant: string, clientId: string, scopes: string[]) => api<PreApproval>('PUT', `${base(tenant)}/pre-approvals/${enc(clientId)}`, { body: { scopes } }),
  deletePreApproval: (tenant: string, clientId: string) => api<void>('DELETE', `${base(tenant)}/pre-approvals/${enc(clientId)}`),
};

/** Domains, scopes or certificates typed one per line, or separated by commas or spaces. */
export const words = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((word) => word.trim())
    .filter(Boolean);

/** PEM certificates pasted one after another. */
export function certificates(text: string): string[] {
  const found = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g);
  return found ?? (text.trim() ? [text.trim()] : []);
}
