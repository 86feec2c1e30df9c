import { Anchor, Code, Group, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { adminApi } from '../api.js';
import { EmptyState, ErrorNotice, TableSkeleton } from '../components.js';
import { linkTo } from './TenantsScreen.js';

const RECENT = 10;
const TENANTS_PAGE = 100;

/**
 * A platform admin's start page, from what the admin API offers: the tenants (first page, with their
 * counts) and the latest platform admin actions. Calls per minute and errors need metrics (issue 18).
 */
export function OverviewScreen() {
  const tenants = useQuery({ queryKey: ['tenants', '', undefined, TENANTS_PAGE], queryFn: () => adminApi.listTenants({ limit: TENANTS_PAGE }) });
  const recent = useQuery({ queryKey: ['audit', '(platform)', 'recent'], queryFn: () => adminApi.listAudit(undefined, { limit: RECENT }) });
  const items = tenants.data?.items ?? [];
  const sum = (pick: (counts: NonNullable<(typeof items)[number]['counts']>) => number | undefined) => items.reduce((total, tenant) => total + (tenant.counts ? (pick(tenant.counts) ?? 0) : 0), 0);
  const more = Boolean(tenants.data?.nextCursor);

  return (
    <Stack gap="lg">
      <Title order={1}>Overview</Title>
      <section aria-labelledby="overview-tenants">
        <Title order={2} size="h3" id="overview-tenants" mb="xs">
          Tenants
        </Title>
        {tenants.isPending ? (
          <TableSkeleton rows={1} label="Loading tenants" />
        ) : tenants.isError ? (
          <ErrorNotice error={tenants.error} title="Could not list tenants" />
        ) : (
          <Group gap="xl" data-testid="overview-counts">
            <Stat label="Tenants" value={`${items.length}${more ? '+' : ''}`} />
            <Stat label="Users" value={`${sum((counts) => counts.users)}${more ? '+' : ''}`} />
            <Stat label="Clients" value={`${sum((counts) => counts.clients)}${more ? '+' : ''}`} />
            <Stat label="MCP servers" value={`${sum((counts) => counts.servers)}${more ? '+' : ''}`} />
          </Group>
        )}
        <Text size="sm" mt="xs">
          <Anchor href="/console/tenants" onClick={linkTo('/tenants')}>
            All tenants
          </Anchor>{' '}
          ·{' '}
          <Anchor href="/console/audit" onClick={linkTo('/audit')}>
            Platform audit log
          </Anchor>
        </Text>
      </section>
      <section aria-labelledby="overview-recent">
        <Title order={2} size="h3" id="overview-recent" mb="xs">
          Recent admin actions
        </Title>
        {recent.isPending ? (
          <TableSkeleton label="Loading recent admin actions" />
        ) : recent.isError ? (
          <ErrorNotice error={recent.error} title="Could not read the platform audit log" />
        ) : recent.data.items.length === 0 ? (
          <EmptyState title="No admin action yet">Tenant creation, admin people and role changes appear here.</EmptyState>
        ) : (
          <Table striped aria-label="Recent admin actions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">When</Table.Th>
                <Table.Th scope="col">Action</Table.Th>
                <Table.Th scope="col">Outcome</Table.Th>
                <Table.Th scope="col">Actor</Table.Th>
                <Table.Th scope="col">Target</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {recent.data.items.map((record) => (
                <Table.Tr key={record.id}>
                  <Table.Td>{new Date(record.occurredAt).toLocaleString()}</Table.Td>
                  <Table.Td>
                    <Code>{record.action}</Code>
                  </Table.Td>
                  <Table.Td>
                    <span className={`outcome outcome-${record.outcome}`}>{record.outcome}</span>
                  </Table.Td>
                  <Table.Td>{record.actor.subject ?? record.actor.clientId ?? '–'}</Table.Td>
                  <Table.Td>{record.target ?? '–'}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </section>
      <Text size="sm" c="dimmed">
        Calls per minute and error rates are not shown: the admin API has no metrics yet (issue 18).
      </Text>
    </Stack>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <Stack gap={0}>
      <Text size="xl" fw={700}>
        {value}
      </Text>
      <Text size="sm">{label}</Text>
    </Stack>
  );
}
