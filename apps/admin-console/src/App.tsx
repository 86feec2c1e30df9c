import { Anchor, Badge, Button, Center, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { adminApi } from './api.js';
import { completeSignIn, isSignedIn, onAuthChange, signIn, signOut } from './auth.js';
import { ErrorNotice } from './components.js';
import { AccountScreen } from './screens/AccountScreen.js';
import { AdminsScreen } from './screens/AdminsScreen.js';
import { AuditScreen } from './screens/AuditScreen.js';
import { ClientDetailScreen } from './screens/ClientsDetailScreen.js';
import { ClientsScreen } from './screens/ClientsScreen.js';
import { ServerCreateScreen } from './screens/ServerCreateScreen.js';
import { ServerDetailScreen } from './screens/ServerDetailScreen.js';
import { ServersScreen } from './screens/ServersScreen.js';
import { SessionsScreen } from './screens/SessionsScreen.js';
import { OverviewScreen } from './screens/OverviewScreen.js';
import { linkTo, TenantsScreen } from './screens/TenantsScreen.js';
import { UserDetailScreen } from './screens/UsersDetailScreen.js';
import { UsersScreen } from './screens/UsersScreen.js';
import { TenantSwitcher } from './TenantSwitcher.js';
import { TenantDetailScreen } from './screens/TenantDetailScreen.js';
import { identityRouteOf, IdentityScreen } from './screens/identity-routes.js';
import { decodeSegment, navigate, useLocation } from './router.js';

export function App() {
  const { path } = useLocation();
  const signedIn = useSyncExternalStore(onAuthChange, isSignedIn);
  if (path === '/callback') return <Callback />;
  if (!signedIn) return <SignInScreen />;
  return <Console />;
}

function Callback() {
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    const search = new URLSearchParams(window.location.search);
    completeSignIn(search).then(
      (returnTo) => navigate(returnTo.startsWith('/') && !returnTo.startsWith('/callback') ? returnTo : '/', { replace: true }),
      setError,
    );
  }, []);
  return (
    <Center mih="100vh">
      <main>
        {error ? (
          <Stack>
            <ErrorNotice error={error} title="Sign-in failed" />
            <Button onClick={() => void signIn('/')}>Sign in again</Button>
          </Stack>
        ) : (
          <Group>
            <Loader size="sm" aria-label="Signing in" />
            <Text>Signing in…</Text>
          </Group>
        )}
      </main>
    </Center>
  );
}

function SignInScreen() {
  const { path, search } = useLocation();
  const [error, setError] = useState<unknown>();
  const returnTo = `${path}${search.size ? `?${search}` : ''}`;
  return (
    <Center mih="100vh">
      <main>
        <Stack maw={420} p="xl" gap="md">
          <Title order={1}>Airlock admin console</Title>
          <Text>Sign in with your Airlock admin account (email, password and the one-time code from your authenticator app).</Text>
          {error !== undefined && <ErrorNotice error={error} title="Could not start the sign-in" />}
          <Button size="md" onClick={() => signIn(returnTo).catch(setError)}>
            Sign in
          </Button>
        </Stack>
      </main>
    </Center>
  );
}

function Console() {
  const { path, search } = useLocation();
  const me = useQuery({ queryKey: ['me'], queryFn: adminApi.me, staleTime: 60_000 });
  const tenantRoute = /^\/tenants\/([a-z0-9-]+)\/(?:(sessions|audit)|(users|clients)(?:\/([^/]+))?)$/.exec(path);
  // A tenant's MCP servers: the list, the add form, one server.
  const serverRoute = /^\/tenants\/([a-z0-9-]+)\/(?:(new-server)|servers(?:\/([a-z0-9][a-z0-9_-]{0,62}))?)$/.exec(path);
  // A tenant's own page: settings, registration, keys, deletion.
  const tenantHome = /^\/tenants\/([a-z0-9-]+)$/.exec(path);
  // Enterprise sign-in: identity providers (list, add, one), group mappings, SCIM tokens.
  const identityRoute = identityRouteOf(path);
  const tenant = tenantRoute?.[1] ?? serverRoute?.[1] ?? tenantHome?.[1] ?? identityRoute?.tenant;
  const view = ((tenantRoute?.[2] ?? tenantRoute?.[3]) as 'sessions' | 'audit' | 'users' | 'clients' | undefined) ?? 'sessions';
  // A user's id or a client's id (URL-encoded: a CIMD client id is a URL) below /users or /clients.
  const item = decodeSegment(tenantRoute?.[4]);
  // The platform audit log: platform admins and auditors of every tenant (the API's `platform-read`).
  const readsPlatform = me.data?.role === 'platform-admin' || (me.data?.role === 'auditor' && me.data.tenants === 'all');

  return (
    <Stack gap={0} mih="100vh">
      <header>
        <Group justify="space-between" px="lg" py="sm" style={{ borderBottom: '1px solid var(--mantine-color-gray-3)' }} wrap="wrap">
          <Group gap="lg" align="flex-end">
            <Anchor href="/console/" onClick={linkTo('/')} fw={700} size="lg" c="dark">
              Airlock admin
            </Anchor>
            {me.data && <TenantSwitcher current={tenant} view={serverRoute ? 'servers' : identityRoute ? identityRoute.section : tenantHome ? '' : view} />}
            <nav aria-label="Main">
              <Group gap="md">
                <Anchor href="/console/tenants" onClick={linkTo('/tenants')} aria-current={path === '/tenants' || (path === '/' && me.data?.role !== 'platform-admin') ? 'page' : undefined}>
                  Tenants
                </Anchor>
                {me.data?.role === 'platform-admin' && (
                  <Anchor href="/console/admins" onClick={linkTo('/admins')} aria-current={path === '/admins' ? 'page' : undefined}>
                    Admins
                  </Anchor>
                )}
                {readsPlatform && (
                  <Anchor href="/console/audit" onClick={linkTo('/audit')} aria-current={path === '/audit' ? 'page' : undefined}>
                    Platform audit
                  </Anchor>
                )}
                {tenant && (
                  <>
                    <Anchor href={`/console/tenants/${tenant}`} onClick={linkTo(`/tenants/${tenant}`)} aria-current={tenantHome ? 'page' : undefined}>
                      Settings
                    </Anchor>
                    <Anchor href={`/console/tenants/${tenant}/sessions`} onClick={linkTo(`/tenants/${tenant}/sessions`)} aria-current={view === 'sessions' && !serverRoute && !tenantHome && !identityRoute ? 'page' : undefined}>
                      Sessions
                    </Anchor>
                    <Anchor href={`/console/tenants/${tenant}/audit`} onClick={linkTo(`/tenants/${tenant}/audit`)} aria-current={view === 'audit' ? 'page' : undefined}>
                      Audit log
                    </Anchor>
                    <Anchor href={`/console/tenants/${tenant}/users`} onClick={linkTo(`/tenants/${tenant}/users`)} aria-current={view === 'users' ? 'page' : undefined}>
                      Users
                    </Anchor>
                    <Anchor href={`/console/tenants/${tenant}/clients`} onClick={linkTo(`/tenants/${tenant}/clients`)} aria-current={view === 'clients' ? 'page' : undefined}>
                      Clients
                    </Anchor>
                    <Anchor href={`/console/tenants/${tenant}/servers`} onClick={linkTo(`/tenants/${tenant}/servers`)} aria-current={serverRoute ? 'page' : undefined}>
                      MCP servers
                    </Anchor>
                    <Anchor href={`/console/tenants/${tenant}/identity-providers`} onClick={linkTo(`/tenants/${tenant}/identity-providers`)} aria-current={identityRoute?.section === 'identity-providers' ? 'page' : undefined}>
                      Identity providers
                    </Anchor>
                    <Anchor href={`/console/tenants/${tenant}/scim`} onClick={linkTo(`/tenants/${tenant}/scim`)} aria-current={identityRoute?.section === 'scim' ? 'page' : undefined}>
                      SCIM
                    </Anchor>
                    <Anchor href={`/console/tenants/${tenant}/id-jag`} onClick={linkTo(`/tenants/${tenant}/id-jag`)} aria-current={identityRoute?.section === 'id-jag' ? 'page' : undefined}>
                      ID-JAG
                    </Anchor>
                  </>
                )}
              </Group>
            </nav>
          </Group>
          <Group gap="sm">
            {me.data && (
              <>
                <Anchor href="/console/account" onClick={linkTo('/account')} size="sm" data-testid="caller" aria-current={path === '/account' ? 'page' : undefined} aria-label={`Your account: ${me.data.subject}`}>
                  {me.data.subject}
                </Anchor>
                <Badge variant="light" c="blue.9" data-testid="role">
                  {me.data.role}
                </Badge>
              </>
            )}
            <Button variant="default" size="xs" onClick={() => void signOut()}>
              Sign out
            </Button>
          </Group>
        </Group>
      </header>
      <main style={{ padding: 'var(--mantine-spacing-lg)' }}>
        {me.isPending ? (
          <Group>
            <Loader size="sm" aria-label="Loading" />
          </Group>
        ) : me.isError ? (
          <ErrorNotice error={me.error} title="Could not load your admin account" />
        ) : identityRoute ? (
          <IdentityScreen me={me.data} route={identityRoute} search={search} />
        ) : tenantHome && tenant ? (
          <TenantDetailScreen key={tenant} me={me.data} tenant={tenant} />
        ) : serverRoute && tenant ? (
          serverRoute[2] ? (
            <ServerCreateScreen key={tenant} me={me.data} tenant={tenant} />
          ) : serverRoute[3] ? (
            <ServerDetailScreen key={`${tenant}/${serverRoute[3]}`} me={me.data} tenant={tenant} name={serverRoute[3]} />
          ) : (
            <ServersScreen me={me.data} tenant={tenant} search={search} />
          )
        ) : tenant ? (
          view === 'sessions' ? (
            <SessionsScreen me={me.data} tenant={tenant} search={search} />
          ) : view === 'users' ? (
            item ? <UserDetailScreen key={item} me={me.data} tenant={tenant} id={item} /> : <UsersScreen me={me.data} tenant={tenant} search={search} />
          ) : view === 'clients' ? (
            item ? <ClientDetailScreen key={item} me={me.data} tenant={tenant} clientId={item} /> : <ClientsScreen me={me.data} tenant={tenant} search={search} />
          ) : (
            <AuditScreen key={tenant} tenant={tenant} search={search} />
          )
        ) : path === '/' && me.data.role === 'platform-admin' ? (
          <OverviewScreen />
        ) : path === '/audit' && readsPlatform ? (
          <AuditScreen search={search} />
        ) : path === '/admins' ? (
          <AdminsScreen me={me.data} search={search} />
        ) : path === '/account' ? (
          <AccountScreen me={me.data} />
        ) : path === '/' || path === '/tenants' ? (
          <TenantsScreen me={me.data} search={search} />
        ) : (
          <Stack>
            <Title order={1}>Not found</Title>
            <Text>
              There is no page at {path}.{' '}
              <Anchor href="/console/tenants" onClick={linkTo('/tenants')}>
                Go to the tenants
              </Anchor>
              .
            </Text>
          </Stack>
        )}
      </main>
    </Stack>
  );
}
