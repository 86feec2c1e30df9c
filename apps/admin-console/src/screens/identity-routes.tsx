import type { Me } from '../api.js';
import { IdentityProviderCreateScreen } from './IdentityProviderCreateScreen.js';
import { IdentityProviderDetailScreen } from './IdentityProviderDetailScreen.js';
import { IdentityProvidersScreen } from './IdentityProvidersScreen.js';
import { IdJagScreen } from './IdJagScreen.js';
import { ScimTokensScreen } from './ScimTokensScreen.js';

// The enterprise sign-in screens of a tenant and their paths: /tenants/<t>/identity-providers (list,
// local passwords, group mappings), /tenants/<t>/new-identity-provider, /tenants/<t>/identity-providers/<slug>,
// /tenants/<t>/scim, /tenants/<t>/id-jag (trusted issuers, pre-approved clients).

export interface IdentityRoute {
  tenant: string;
  /** What the nav highlights, and where the tenant switcher goes for another tenant. */
  section: 'identity-providers' | 'scim' | 'id-jag';
  screen: 'list' | 'new' | 'provider' | 'scim' | 'id-jag';
  provider?: string;
}

const PATTERN = /^\/tenants\/([a-z0-9-]+)\/(?:(new-identity-provider)|identity-providers(?:\/([a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?))?|(scim)|(id-jag))$/;

export function identityRouteOf(path: string): IdentityRoute | undefined {
  const match = PATTERN.exec(path);
  if (!match) return undefined;
  const tenant = match[1]!;
  if (match[4]) return { tenant, section: 'scim', screen: 'scim' };
  if (match[5]) return { tenant, section: 'id-jag', screen: 'id-jag' };
  if (match[2]) return { tenant, section: 'identity-providers', screen: 'new' };
  if (match[3]) return { tenant, section: 'identity-providers', screen: 'provider', provider: match[3] };
  return { tenant, section: 'identity-providers', screen: 'list' };
}

export function IdentityScreen({ me, route, search }: { me: Me; route: IdentityRoute; search: URLSearchParams }) {
  switch (route.screen) {
    case 'scim':
      return <ScimTokensScreen key={route.tenant} me={me} tenant={route.tenant} />;
    case 'id-jag':
      return <IdJagScreen key={route.tenant} me={me} tenant={route.tenant} />;
    case 'new':
      return <IdentityProviderCreateScreen key={route.tenant} me={me} tenant={route.tenant} />;
    case 'provider':
      return <IdentityProviderDetailScreen key={`${route.tenant}/${route.provider}`} me={me} tenant={route.tenant} slug={route.provider!} />;
    default:
      return <IdentityProvidersScreen me={me} tenant={route.tenant} search={search} />;
  }
}
