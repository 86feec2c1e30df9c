import { Button, Code, Stack, Text, Title } from '@mantine/core';
import type { Me } from '../api.js';
import { signOut } from '../auth.js';

/** The signed-in admin as the admin API sees them (GET /me), and sign out. */
export function AccountScreen({ me }: { me: Me }) {
  return (
    <Stack gap="md" maw={640}>
      <Title order={1}>Your admin account</Title>
      <dl className="audit-detail" aria-label="Your admin account">
        <dt>Subject</dt>
        <dd>
          <Code>{me.subject}</Code>
        </dd>
        <dt>Client</dt>
        <dd>
          <Code>{me.clientId}</Code>
        </dd>
        <dt>Role</dt>
        <dd>{me.role}</dd>
        <dt>Tenants</dt>
        <dd>{me.tenants === 'all' ? 'every tenant' : me.tenants.length ? me.tenants.join(', ') : 'none'}</dd>
        <dt>Break-glass</dt>
        <dd>{me.breakGlass ? 'yes: signed in with the bootstrap admin client' : 'no'}</dd>
      </dl>
      <Text size="sm">Sign-out revokes this console's tokens; your role is changed by a platform admin (role assignments).</Text>
      <div>
        <Button variant="default" onClick={() => void signOut()}>
          Sign out of the console
        </Button>
      </div>
    </Stack>
  );
}
